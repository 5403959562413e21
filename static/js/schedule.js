// The day schedule starts at midnight; on a narrow screen that shows hours nobody books. Scroll
// the time axis so that 08:00 comes first after the instrument column (no inline script: CSP).
(function () {
  var scroller = document.querySelector(".sched-scroll");
  var grid = scroller && scroller.querySelector(".sched-day");
  if (!grid || scroller.scrollWidth <= scroller.clientWidth) return;
  var morning = grid.querySelector(".sched-head .tick.c-32");
  var names = grid.querySelector(".sched-head .sched-name");
  if (!morning || !names) return;
  var offset = morning.getBoundingClientRect().left - names.getBoundingClientRect().right;
  scroller.scrollLeft += offset;
})();
