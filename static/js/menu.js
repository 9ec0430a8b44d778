// On a phone the main menu folds behind its "Menu" button (base.html), so each page starts with its own content.
// Without JavaScript, or on a wider screen, the menu stays open as a row of links.
(function () {
  "use strict";
  var btn = document.getElementById("menu-toggle");
  var header = btn && btn.closest("header");
  if (!header || !window.matchMedia) return;
  var narrow = window.matchMedia("(max-width: 600px)");
  function open(yes) {
    header.classList.toggle("menu-closed", !yes);
    btn.setAttribute("aria-expanded", yes ? "true" : "false");
  }
  function fit() {
    btn.hidden = !narrow.matches;
    header.classList.toggle("menu-folds", narrow.matches);
    open(!narrow.matches);
  }
  btn.addEventListener("click", function () {
    var opening = header.classList.contains("menu-closed");
    open(opening);
    if (opening) { var first = header.querySelector("nav a, nav button"); if (first) first.focus(); }
  });
  // Escape closes an open menu and gives the focus back to its button
  header.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && narrow.matches && !header.classList.contains("menu-closed")) { open(false); btn.focus(); }
  });
  if (narrow.addEventListener) narrow.addEventListener("change", fit); else narrow.addListener(fit);
  fit();
})();
