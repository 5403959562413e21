// A form marked data-upload-progress="<status element id>" sends its file with XMLHttpRequest,
// so that the status element can show how far the upload has got, then that the server is
// processing it (a large production calendar takes a few seconds). The answer (the page after
// the redirect, or the page with the errors) then replaces the page's <main>, as the plain
// submission would have. Without this script the form submits as usual.
(function () {
  if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) {
    return;
  }

  function show(status, text, fraction) {
    var bar = status.querySelector("progress");
    var label = status.querySelector(".upload-progress-text");
    status.hidden = false;
    if (fraction === null) {
      bar.removeAttribute("value"); // an indeterminate bar
      label.textContent = text;
    } else {
      bar.value = Math.round(fraction * 100);
      label.textContent = text + " " + Math.round(fraction * 100) + " %";
    }
  }

  function showAnswer(request, form) {
    var answer = new DOMParser().parseFromString(request.responseText, "text/html");
    var main = answer.querySelector("main");
    if (!main) {
      form.submit(); // not one of our pages: let the browser show it
      return;
    }
    document.querySelector("main").replaceWith(main);
    document.title = answer.title;
    var target = request.responseURL.indexOf("#") < 0 ? "production" : null;
    window.history.replaceState(null, "", request.responseURL);
    var invalid = main.querySelector("[aria-invalid='true']");
    var section = target && document.getElementById(target);
    if (invalid) {
      invalid.scrollIntoView({ block: "center" });
      invalid.focus({ preventScroll: true });
    } else if (section) {
      section.scrollIntoView();
    }
  }

  // Bound on the document, so that a form in a replaced <main> is handled too; after forms.js,
  // whose confirmation may cancel the submission.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form[data-upload-progress]")) {
      return;
    }
    var status = document.getElementById(form.getAttribute("data-upload-progress"));
    if (!status) {
      return;
    }
    event.preventDefault();
    var buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach(function (button) { button.disabled = true; });
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable && progress.total > 0) {
        show(status, status.getAttribute("data-uploading"), progress.loaded / progress.total);
      }
    });
    request.upload.addEventListener("load", function () {
      show(status, status.getAttribute("data-processing"), null);
    });
    request.addEventListener("load", function () {
      showAnswer(request, form);
    });
    request.addEventListener("error", function () {
      show(status, status.getAttribute("data-failed"), 0);
      buttons.forEach(function (button) { button.disabled = false; });
    });
    show(status, status.getAttribute("data-uploading"), 0);
    request.send(new FormData(form));
  });
})();
