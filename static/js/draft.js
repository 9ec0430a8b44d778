// What is typed in a form with a draft (a candidate's written answer, an admin's question), kept in this tab
// (sessionStorage) until the server has it: an answer sent while the server or the network was down came back empty
// after Back (a reliability review), and an admin whose session ended while writing a question found the form empty
// after logging in again. The form names its draft (data-draft-key: the account, then the form) and the fields kept
// (data-draft-fields). When the form is opened afresh (data-draft-fresh: not a form sent and shown again with its
// errors, which holds what was typed already), its fields get the draft again, unless the draft was saved before the
// last save of what the form edits reached the server (data-last-saved: the candidate's latest written answer to the
// question, the question's last save, the admin's latest save for a new question), which the server's clock decides
// (data-server-now gives the offset, so a browser clock that is wrong does not matter). The page after a saved form
// removes its draft (meta draft-sent), and a draft is kept only while its account is signed in (meta draft-owner),
// or on the log-in page a page that needed signing in sent to, and on the page that gives back an answer sent signed
// out (meta draft-hold), until someone signs in.
(function () {
  var PREFIX = "draft:", LEGACY = "answer-draft:";  // the written answers' drafts were kept as {text, at} before
  function each(fn) {  // every draft key of this tab (without the prefix), last first (fn may remove it)
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var k = sessionStorage.key(i);
        if (k && k.indexOf(PREFIX) === 0) fn(k.slice(PREFIX.length));
      }
    } catch (e) { /* no storage: nothing kept */ }
  }
  function forget(keep) {  // every draft of this tab but those ``keep`` (a key) says to keep
    each(function (key) { if (!keep(key)) sessionStorage.removeItem(PREFIX + key); });
  }
  function meta(name) { var m = document.querySelector("meta[name='" + name + "']"); return m ? m.content : null; }
  try {  // a written answer's draft kept before admins' forms had drafts too: the same, in the new form
    for (var i = sessionStorage.length - 1; i >= 0; i--) {
      var k = sessionStorage.key(i);
      if (!k || k.indexOf(LEGACY) !== 0) continue;
      var old = JSON.parse(sessionStorage.getItem(k) || "null");
      sessionStorage.removeItem(k);
      if (old && typeof old.text === "string") {
        sessionStorage.setItem(PREFIX + k.slice(LEGACY.length), JSON.stringify({fields: {answer: old.text}, at: old.at}));
      }
    }
  } catch (e) { /* no storage, or a draft not readable: nothing to carry over */ }
  // every page: a draft stays only while its account is the one signed in (a page served signed out, after a log-out,
  // "sign out everywhere", a deleted account or an expired session, forgets them all: the next person at a shared
  // computer may use this tab), and goes once the server has it (the page after the form was saved). The log-in page
  // that a page needing sign-in sent to, and the page giving back an answer sent signed out, keep them (meta
  // draft-hold), so that the form opens with its draft after signing in again; whoever signs in there, the first page
  // after forgets every other account's drafts.
  var owner = meta("draft-owner"), sent = meta("draft-sent"), hold = meta("draft-hold") !== null;
  if (owner !== null) forget(function (key) { return owner ? key.split(":")[0] === owner && key !== sent : hold; });
  var held = document.getElementById("draft-held");
  if (held && hold) each(function () { held.hidden = false; });
  document.querySelectorAll("form[action$='/logout']").forEach(function (f) {
    f.addEventListener("submit", function () { forget(function () { return false; }); });
  });
  var form = document.querySelector("form[data-draft-key]");
  if (!form) return;
  var boxes = (form.dataset.draftFields || "").split(" ").map(function (name) {
    return name && form.elements.namedItem(name);
  }).filter(function (box) { return box && typeof box.value === "string"; });
  if (!boxes.length) return;
  var key = PREFIX + form.dataset.draftKey;
  var offset = (Number(form.dataset.serverNow) || Date.now()) - Date.now();
  var saved = Number(form.dataset.lastSaved) || 0;
  function values() { var v = {}; boxes.forEach(function (box) { v[box.name] = box.value; }); return v; }
  function load() { try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { return null; } }
  function drop() { try { sessionStorage.removeItem(key); } catch (e) { /* nothing to do */ } }
  function save(v) {
    var typed = boxes.some(function (box) { return (v[box.name] || "").trim(); });
    try {
      if (typed) sessionStorage.setItem(key, JSON.stringify({fields: v, at: Date.now() + offset}));
      else sessionStorage.removeItem(key);
    } catch (e) { /* storage full or refused: the form still works */ }
  }
  var draft = load();
  if (draft && (!draft.fields || typeof draft.fields !== "object" || !(draft.at > saved))) {
    drop();  // not a draft, or one older than the last save (sent with it, or the saved text is newer)
    draft = null;
  }
  if (draft && form.dataset.draftFresh !== undefined) {
    var differs = boxes.filter(function (box) {
      var was = draft.fields[box.name];
      return typeof was === "string" && was.trim() !== box.value.trim();
    });
    if (differs.length) {
      var served = values();  // what the page came with: "Discard it" puts it back and forgets the draft
      differs.forEach(function (box) { box.value = draft.fields[box.name]; });
      var said = document.getElementById("draft-restored");
      if (said) said.hidden = false;
      var discard = document.getElementById("draft-discard");
      if (discard) discard.addEventListener("click", function () {
        boxes.forEach(function (box) {
          box.value = served[box.name];
          box.dispatchEvent(new Event("input", {bubbles: true}));  // (the word counter counts again)
        });
        clearTimeout(timer);  // (the input above would save it as a draft again)
        drop();
        if (said) said.hidden = true;
        boxes[0].focus();
      });
    } else {
      drop();  // the form holds it already (saved as it was)
    }
  }
  // the page that gives back what was sent signed out (a log-out in another tab: interview/signed_out.html): what its
  // form holds is the draft now, kept for the form to open with after signing in again (a review found it gone)
  if (form.dataset.draftKeep !== undefined) save(values());
  var timer = null;
  boxes.forEach(function (box) {
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { save(values()); }, 300);
    });
  });
  // the moment it is sent counts too (typed less than 0.3 s before)
  form.addEventListener("submit", function () { clearTimeout(timer); save(values()); });
})();
