/* Week view: pick one free slot, or a run of free slots in one day, then "Book selected".
   Without this script every free slot is a plain link to the booking form. */
(function () {
  "use strict";
  var table = document.getElementById("week-grid");
  var form = document.getElementById("week-selection");
  if (!table || !form || !table.hasAttribute("data-selectable")) {
    return;
  }
  var startInput = form.querySelector("input[name=start]");
  var endInput = form.querySelector("input[name=end]");
  var summary = form.querySelector(".selection-summary");
  var minSlots = Math.max(parseInt(table.dataset.minSlots, 10) || 1, 1);
  var anchor = null;
  var selected = [];

  function dayCells(day) {
    // Cells of one day column, top to bottom (rows are in time order).
    return Array.prototype.slice.call(
      table.querySelectorAll("td.slot-cell[data-day='" + day + "']")
    );
  }

  function contiguous(cells) {
    for (var i = 0; i < cells.length; i += 1) {
      if (!cells[i].classList.contains("free")) {
        return false;
      }
      if (i > 0 && cells[i - 1].dataset.end !== cells[i].dataset.start) {
        return false;
      }
    }
    return true;
  }

  function show(cells) {
    selected.forEach(function (cell) {
      cell.classList.remove("selected");
      cell.removeAttribute("aria-selected");
    });
    selected = cells;
    selected.forEach(function (cell) {
      cell.classList.add("selected");
      cell.setAttribute("aria-selected", "true");
    });
    if (!selected.length) {
      anchor = null;
      form.hidden = true;
      return;
    }
    var first = selected[0];
    var last = selected[selected.length - 1];
    startInput.value = first.dataset.start;
    endInput.value = last.dataset.end;
    summary.textContent = form.dataset.summary
      .replace("{day}", first.dataset.label)
      .replace("{start}", first.dataset.start.slice(11))
      .replace("{end}", last.dataset.end.slice(11));
    form.hidden = false;
  }

  function shortest(cell) {
    // A first click asks for the shortest booking from that slot, when that much is free.
    var cells = dayCells(cell.dataset.day);
    var from = cells.indexOf(cell);
    var run = cells.slice(from, from + minSlots);
    return run.length === minSlots && contiguous(run) ? run : [cell];
  }

  function choose(cell) {
    if (anchor === cell) {
      show([]);
      return;
    }
    if (anchor && anchor.dataset.day === cell.dataset.day) {
      var cells = dayCells(cell.dataset.day);
      var from = cells.indexOf(anchor);
      var to = cells.indexOf(cell);
      var run = cells.slice(Math.min(from, to), Math.max(from, to) + 1);
      if (contiguous(run)) {
        show(run);
        return;
      }
    }
    anchor = cell;
    show(shortest(cell));
  }

  table.addEventListener("click", function (event) {
    var link = event.target.closest("td.free a");
    if (!link || !table.contains(link)) {
      return;
    }
    event.preventDefault();
    choose(link.parentElement);
  });

  document.getElementById("clear-selection").addEventListener("click", function () {
    show([]);
  });
})();
