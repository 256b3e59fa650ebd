/* A signature pad: draw with a finger, a pen or a mouse (pointer events, no library).
 *
 * Markup (templates/programmes/_signature_pad.html):
 *   <div data-signature-pad>
 *     <canvas width="600" height="240"></canvas>
 *     <input type="hidden" name="signature">      the PNG as a data URL, filled on each stroke
 *     <button type="button" data-signature-clear>Clear</button>
 *   </div>
 * Without JavaScript the pad stays hidden and the page says to sign on paper.
 */
(function () {
  "use strict";

  function setUp(pad) {
    var canvas = pad.querySelector("canvas");
    var field = pad.querySelector("input[type=hidden]");
    var clear = pad.querySelector("[data-signature-clear]");
    if (!canvas || !field || !canvas.getContext) {
      return;
    }
    pad.hidden = false;
    var noScript = document.querySelectorAll("[data-signature-noscript]");
    for (var n = 0; n < noScript.length; n += 1) {
      noScript[n].hidden = true;
    }
    var context = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    canvas.style.touchAction = "none"; // the finger draws instead of scrolling the page
    canvas.style.width = "100%";
    canvas.style.maxWidth = canvas.width + "px";
    canvas.style.border = "2px solid #555";
    canvas.style.borderRadius = "6px";
    canvas.style.background = "#fff";
    canvas.style.cursor = "crosshair";

    function style() {
      context.lineWidth = 3;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#000";
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) * canvas.width) / box.width,
        y: ((event.clientY - box.top) * canvas.height) / box.height,
      };
    }

    function save() {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      drawing = true;
      last = point(event);
      if (canvas.setPointerCapture) {
        canvas.setPointerCapture(event.pointerId);
      }
      style();
      context.beginPath();
      context.arc(last.x, last.y, 1.5, 0, 2 * Math.PI);
      context.fillStyle = "#000";
      context.fill();
      drawn = true;
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) {
        return;
      }
      event.preventDefault();
      var next = point(event);
      style();
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });

    function stop() {
      if (drawing) {
        drawing = false;
        save();
      }
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    if (clear) {
      clear.addEventListener("click", function () {
        context.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        save();
        canvas.focus();
      });
    }

    var form = pad.closest("form");
    if (form) {
      form.addEventListener("submit", function (event) {
        save();
        if (!drawn) {
          event.preventDefault();
          var message = pad.querySelector("[data-signature-empty]");
          if (message) {
            message.hidden = false;
          }
        }
      });
    }
  }

  function start() {
    var pads = document.querySelectorAll("[data-signature-pad]");
    for (var i = 0; i < pads.length; i += 1) {
      setUp(pads[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
