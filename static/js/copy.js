// Buttons marked data-copy="<element id>" copy that element's text (the secret calendar link).
// Shown only when this script runs; the clipboard API needs HTTPS or localhost, so on a plain
// intranet address the text is selected and copied the older way.
(function () {
  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyBySelection(element) {
    select(element);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) {
      return;
    }
    var status = button.parentNode.querySelector(".copy-status");
    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { say(button.getAttribute("data-copied")); },
          function () {
            say(button.getAttribute(copyBySelection(source) ? "data-copied" : "data-failed"));
          }
        );
      } else {
        say(button.getAttribute(copyBySelection(source) ? "data-copied" : "data-failed"));
      }
    });
  });
})();
