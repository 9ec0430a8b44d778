// The written answer as it is typed, kept in this tab (sessionStorage) until it is sent: an answer sent while the
// server or the network was down came back empty after Back (a reliability review). On the form's next load an
// empty box gets the draft again, unless the draft was saved before the candidate's latest written answer to the
// question reached the server (it was sent: data-last-answer), which the server's clock decides (data-server-now
// gives the offset, so a browser clock that is wrong does not matter). The page after a sent answer removes its draft
// (meta draft-sent), and a draft is kept only while its account is signed in (meta draft-owner).
(function () {
  var PREFIX = "answer-draft:";
  function forget(keep) {  // every draft of this tab but those ``keep`` (a key) says to keep
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var k = sessionStorage.key(i);
        if (k && k.indexOf(PREFIX) === 0 && !keep(k.slice(PREFIX.length))) sessionStorage.removeItem(k);
      }
    } catch (e) { /* no storage: nothing kept */ }
  }
  function meta(name) { var m = document.querySelector("meta[name='" + name + "']"); return m ? m.content : null; }
  // every page: a draft stays only while its account is the one signed in (a page served signed out, after a log-out,
  // "sign out everywhere", a deleted account or an expired session, forgets them all: the next person at a shared
  // computer may use this tab), and goes once the server has its answer (the page after the answer was sent)
  var owner = meta("draft-owner"), sent = meta("draft-sent");
  if (owner !== null) forget(function (key) { return owner && key.split(":")[0] === owner && key !== sent; });
  document.querySelectorAll("form[action$='/logout']").forEach(function (f) {
    f.addEventListener("submit", function () { forget(function () { return false; }); });
  });
  var form = document.querySelector("form[data-draft-key]");
  var box = form && form.querySelector("textarea[name=answer]");
  if (!box) return;
  var key = PREFIX + form.dataset.draftKey;
  var offset = (Number(form.dataset.serverNow) || Date.now()) - Date.now();
  var sent = Number(form.dataset.lastAnswer) || 0;
  function load() { try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { return null; } }
  function save(value) {
    try {
      if (value.trim()) sessionStorage.setItem(key, JSON.stringify({text: value, at: Date.now() + offset}));
      else sessionStorage.removeItem(key);
    } catch (e) { /* storage full or refused: the box still works */ }
  }
  var draft = load();
  if (draft && (typeof draft.text !== "string" || !(draft.at > sent))) {
    try { sessionStorage.removeItem(key); } catch (e) { /* nothing to do */ }
    draft = null;
  }
  if (draft && !box.value.trim()) {
    box.value = draft.text;
    var said = document.getElementById("draft-restored");
    if (said) said.hidden = false;
  }
  var timer = null;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { save(box.value); }, 300);
  });
  // the moment it is sent counts too (typed less than 0.3 s before)
  form.addEventListener("submit", function () { clearTimeout(timer); save(box.value); });
})();
