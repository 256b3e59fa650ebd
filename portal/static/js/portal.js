// WISE Portal: small helpers on top of htmx. The pages work without this file.
(function () {
  "use strict";
  // After htmx swaps in a form with errors, move the focus to the first wrong field so that
  // keyboard and screen-reader users land where the problem is.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelector) { return; }
    var invalid = document.querySelector("[aria-invalid='true']");
    if (invalid && target.contains(invalid)) { invalid.focus(); return; }
    var alert = target.querySelector("[role='alert']");
    if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
  });
})();
