// A form sent back with errors: the first field marked invalid gets the focus and comes into view, so the
// error is seen (the page may be long, as the account page is) and a screen reader reads it with the field.
// Otherwise a message shown after an action ("Your password was changed", "The answer ... was deleted") gets the
// focus, unless a page's own script has put it somewhere already: a message present when the page loads is not
// announced by its role="status" alone, and focus left on the page's body says nothing.
// A page that reloaded itself once its results were in (window.reloadToHeading: progress.js, practice_report.js)
// puts focus on its heading, so that a screen reader says the new page is there; the reloaded page opens at its top,
// where that heading is (a restored scroll position left the focused heading off screen).
window.reloadToHeading = function () {
  try { sessionStorage.setItem("focus-heading", location.pathname); } catch (e) { /* reload all the same */ }
  try { history.scrollRestoration = "manual"; } catch (e) { /* an older browser scrolls back */ }
  window.location.reload();
};
// A page following an analysis (progress.js, practice_report.js) whose poll was refused: 401, signed out (the session
// ended, or signed out in another tab), or 404, what it follows was deleted (in another tab, by an administrator).
// Its status line `msg` says so, with a link (the box's data-login-url, back to this page, or data-gone-url), what
// said the page updates by itself is hidden ([data-while-polling]), and the page stops asking. `what`: "answer" or "mock interview".
window.pollStopped = function (msg, code, box, what) {
  if (!msg) return;
  var out = code === 401
    ? ["You are signed out (your session ended, or you signed out in another tab), so this page cannot follow the " +
       "analysis any more. ", "Log in again", box.dataset.loginUrl, " to see it."]
    : ["This " + what + " is no longer here: it was deleted (in another tab, or by an administrator), or this " +
       "browser is now signed in to another account. ",
       what === "answer" ? "Your answers" : "Your mock interviews", box.dataset.goneUrl, ""];
  msg.textContent = out[0];
  if (out[2]) {
    var a = document.createElement("a");
    a.href = out[2];
    a.textContent = out[1];
    msg.appendChild(a);
    msg.appendChild(document.createTextNode(out[3] || "."));
  }
  msg.classList.add("error-message");
  var bar = box.querySelector("progress");
  if (bar) bar.hidden = true;
  // "This page updates by itself ...", "N analyses are still running", the wait: no longer so
  Array.prototype.forEach.call(box.querySelectorAll("[data-while-polling]"), function (el) { el.hidden = true; });
};
document.addEventListener("DOMContentLoaded", function () {
  var heading = document.querySelector("main h1");
  try {
    if (sessionStorage.getItem("focus-heading") === location.pathname) {
      sessionStorage.removeItem("focus-heading");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); return; }
    }
  } catch (e) { /* no sessionStorage */ }
  var field = document.querySelector('[aria-invalid="true"]');
  if (field) { field.focus(); return; }
  var flash = document.querySelector("main > .flash");
  var at = document.activeElement;
  if (flash && (!at || at === document.body) && !location.hash && !document.querySelector("[autofocus]")) {
    flash.setAttribute("tabindex", "-1");
    flash.focus();
  }
});
