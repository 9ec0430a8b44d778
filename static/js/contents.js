// "On this page": links to the result sections of a long answer page (nav#page-contents), made from
// each section's id and heading, so that a phone user can jump to a part instead of scrolling past
// the others. Without JavaScript the list stays hidden and the page reads as before.
(function () {
  var nav = document.getElementById("page-contents");
  if (!nav) return;
  var list = nav.querySelector("ul");
  var sections = document.querySelectorAll("main section.card[id]");
  var n = 0;
  function add(id, text) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = "#" + id;
    a.textContent = text.trim();
    li.appendChild(a);
    list.appendChild(li);
    n += 1;
  }
  sections.forEach(function (s) {
    var h = s.querySelector("h2");
    if (!h) return;
    add(s.id, h.textContent);
    // a part of a section that is a result of its own (the Big Five inside "How you spoke") gets its link too
    s.querySelectorAll("h3[id][data-contents]").forEach(function (sub) { add(sub.id, sub.textContent); });
  });
  if (n >= 3) nav.hidden = false;
})();
