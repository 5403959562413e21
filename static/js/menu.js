// The header's submenus (<details class="nav-group">) work without this script; with it, one
// opens at a time, and a click elsewhere or Escape closes them (no inline handlers: the CSP
// forbids them).
(function () {
  var groups = document.querySelectorAll(".nav-group");
  function closeAll(except) {
    groups.forEach(function (group) {
      if (group !== except) group.removeAttribute("open");
    });
  }
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () {
      if (group.open) closeAll(group);
    });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".nav-group")) closeAll(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeAll(null);
      var toggle = document.getElementById("menu-toggle");
      if (toggle && toggle.checked) toggle.checked = false;
    }
  });
})();
