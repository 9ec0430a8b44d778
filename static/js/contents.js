// "On this page": links to the result sections of a long answer page (nav#page-contents), made from
// each section's id and heading, so that a phone user can jump to a part instead of scrolling past
// the others. Without JavaScript the list stays hidden and the page reads as before.
(function () {
  var nav = document.getElementById("page-contents");
  if (!nav) return;
  var list = nav.querySelector("ul");
  var sections = document.querySelectorAll("main section.card[id]");
  var n = 0;
  sections.forEach(function (s) {
    var h = s.querySelector("h2");
    if (!h) return;
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = "#" + s.id;
    a.textContent = h.textContent.trim();
    li.appendChild(a);
    list.appendChild(li);
    n += 1;
  });
  if (n >= 3) nav.hidden = false;
})();
