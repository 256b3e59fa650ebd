// WISE Portal: small helpers on top of htmx. The pages work without this file.
(function () {
  "use strict";
  // After htmx swaps in a form with errors, move the focus to the first wrong field so that
  // keyboard and screen-reader users land where the problem is.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelector) { return; }
    // An outerHTML swap replaces the target itself: look at its successor, found by its id.
    if (!target.isConnected && target.id) { target = document.getElementById(target.id) || target; }
    var invalid = document.querySelector("[aria-invalid='true']");
    if (invalid && target.contains(invalid)) { invalid.focus(); return; }
    var alert = target.querySelector("[role='alert']");
    if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); return; }
    // A section saved in place says so; the focus goes to that message (the button that was
    // pressed may be gone), so a screen reader reads it.
    var notice = target.querySelector(".flash[role='status']");
    if (notice) { notice.setAttribute("tabindex", "-1"); notice.focus(); }
  });
})();
