/* Week view: click a free block where you want to start (the shortest booking from that slot is
   selected), click again lower in the same block to extend, then "Book selected".
   Without this script every free block is a plain link to the booking form from its start.
   The selection is drawn with the grid's own classes (d-/r-/s-): no inline style. */
(function () {
  "use strict";
  var grid = document.getElementById("week-grid");
  var form = document.getElementById("week-selection");
  if (!grid || !form || !grid.hasAttribute("data-selectable")) {
    return;
  }
  var ROW_MINUTES = 5;
  var startInput = form.querySelector("input[name=start]");
  var endInput = form.querySelector("input[name=end]");
  var summary = form.querySelector(".selection-summary");
  var slot = parseInt(grid.dataset.slot, 10) || 30;
  var minSlots = Math.max(parseInt(grid.dataset.minSlots, 10) || 1, 1);
  var firstMinute = parseInt(grid.dataset.firstMinute, 10) || 0;
  var marker = document.createElement("div");
  marker.className = "wk-selection";
  marker.setAttribute("aria-hidden", "true");
  var anchor = null; // {block, minute}

  function minuteOf(value) { // "YYYY-MM-DDTHH:MM" -> minutes from that day's midnight
    return parseInt(value.slice(11, 13), 10) * 60 + parseInt(value.slice(14, 16), 10);
  }

  function span(block) {
    var start = minuteOf(block.dataset.start);
    var end = minuteOf(block.dataset.end);
    if (block.dataset.end.slice(0, 10) !== block.dataset.start.slice(0, 10)) {
      end += 24 * 60; // ends at midnight
    }
    return {start: start, end: end};
  }

  function clock(minute) {
    var hours = Math.floor(minute / 60);
    var minutes = minute % 60;
    return (hours < 10 ? "0" : "") + hours + ":" + (minutes < 10 ? "0" : "") + minutes;
  }

  function inputValue(day, minute) {
    if (minute >= 24 * 60) {
      var next = new Date(day + "T00:00:00Z");
      next.setUTCDate(next.getUTCDate() + 1);
      return next.toISOString().slice(0, 10) + "T" + clock(minute - 24 * 60);
    }
    return day + "T" + clock(minute);
  }

  function clear() {
    anchor = null;
    if (marker.parentNode) {
      marker.parentNode.removeChild(marker);
    }
    form.hidden = true;
  }

  function show(block, from, to) {
    var day = block.dataset.start.slice(0, 10);
    var label = grid.querySelector(".wk-day.d-" + block.dataset.day).dataset.label;
    var row = (from - firstMinute) / ROW_MINUTES + 1;
    marker.className = "wk-selection d-" + block.dataset.day + " r-" + row +
      " s-" + Math.max((to - from) / ROW_MINUTES, 1);
    marker.textContent = clock(from) + "–" + clock(to);
    grid.appendChild(marker);
    startInput.value = inputValue(day, from);
    endInput.value = inputValue(day, to);
    summary.textContent = form.dataset.summary
      .replace("{day}", label)
      .replace("{start}", clock(from))
      .replace("{end}", clock(to));
    form.hidden = false;
  }

  function slotAt(block, event) {
    // The slot under the pointer; from the keyboard (no pointer), the block's first slot.
    var bounds = span(block);
    if (!event.detail) {
      return bounds.start;
    }
    var box = block.getBoundingClientRect();
    var fraction = Math.min(Math.max((event.clientY - box.top) / box.height, 0), 0.9999);
    var minute = bounds.start + fraction * (bounds.end - bounds.start);
    return bounds.start + Math.floor((minute - bounds.start) / slot) * slot;
  }

  function choose(block, minute) {
    var bounds = span(block);
    if (anchor && anchor.block === block) {
      if (minute === anchor.minute) {
        clear();
        return;
      }
      var from = Math.min(anchor.minute, minute);
      var to = Math.max(anchor.minute, minute) + slot;
      show(block, from, to);
      return;
    }
    anchor = {block: block, minute: minute};
    var end = minute + minSlots * slot;
    show(block, minute, end <= bounds.end ? end : minute + slot);
  }

  grid.addEventListener("click", function (event) {
    var block = event.target.closest("a.wk.free");
    if (!block || !grid.contains(block)) {
      return;
    }
    event.preventDefault();
    choose(block, slotAt(block, event));
  });

  document.getElementById("clear-selection").addEventListener("click", clear);
})();
