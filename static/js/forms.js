// Loaded by every page (base.html); no inline handlers, since the CSP forbids them.
// 1. Forms marked data-confirm ask before they submit (a button may carry its own data-confirm).
// 2. A page that comes back with form errors scrolls to the first invalid field and focuses it.
(function () {
  if (window.equipmentShareForms) {
    return; // included twice: bind once
  }
  window.equipmentShareForms = true;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) ||
      (form.getAttribute && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  function focusFirstError() {
    var field = document.querySelector("[aria-invalid='true']");
    if (!field) {
      return;
    }
    if (!field.matches("input, select, textarea")) {
      // a group (the weekday checkboxes): its first box
      field = field.querySelector("input, select, textarea") || field;
    }
    var details = field.closest("details");
    if (details) {
      details.open = true;
    }
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstError);
  } else {
    focusFirstError();
  }
})();
