// Adds the viewer's own time zone beside the meeting's; without it the page shows the time in UTC.
document.querySelectorAll(".viewer-zone[data-start]").forEach(function (span) {
  var start = new Date(span.dataset.start), end = new Date(span.dataset.end);
  var day = { weekday: "short", year: "numeric", month: "short", day: "numeric" };
  var hour = { hour: "2-digit", minute: "2-digit" };
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
  var same = start.toDateString() === end.toDateString();
  span.textContent = "Your time: " + start.toLocaleDateString(undefined, day) + ", " +
    start.toLocaleTimeString(undefined, hour) + "–" +
    (same ? "" : end.toLocaleDateString(undefined, day) + ", ") + end.toLocaleTimeString(undefined, hour) +
    " (" + zone + ")";
});
