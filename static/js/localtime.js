// Times are sent in UTC ("2026-12-06 03:21 UTC", webapp.wording.when); this shows them in the reader's own time zone,
// in the same shape ("2026-12-06 04:21"), keeping the UTC time in the element's title. localTimeText is also what the
// progress charts' tooltips use (practice_progress.js).
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // an ISO time ("2026-12-06T03:21:07Z") in the reader's zone, to the "date", "minute" or "second"; null if unreadable
  window.localTimeText = function (iso, precision) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return null;
    var text = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    if (precision !== "date") text += " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
    if (precision === "second") text += ":" + pad(d.getSeconds());
    return text;
  };
  var times = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < times.length; i++) {
    var text = window.localTimeText(times[i].getAttribute("datetime"), times[i].getAttribute("data-local"));
    if (text !== null) times[i].textContent = text;
  }
})();
