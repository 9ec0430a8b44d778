// Times are sent in UTC ("2026-12-06 03:21 UTC", webapp.wording.when); this shows them in the reader's own time zone,
// in the same shape ("2026-12-06 04:21"), keeping the UTC time in the element's title.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  var times = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < times.length; i++) {
    var el = times[i], d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) continue;
    var text = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    var precision = el.getAttribute("data-local");
    if (precision !== "date") text += " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
    if (precision === "second") text += ":" + pad(d.getSeconds());
    el.textContent = text;
  }
})();
