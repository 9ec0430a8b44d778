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
