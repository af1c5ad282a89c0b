// The signature page: draw on the canvas with pen, touch or mouse (pointer events), then send
// the drawing as a PNG data URL in the form's hidden "image" field. No library, no inline script.
(function () {
  "use strict";

  function setup(form) {
    var canvas = form.querySelector("canvas.signature-pad");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    function reset() {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      drawn = false;
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - rect.left) * (canvas.width / rect.width),
        y: (event.clientY - rect.top) * (canvas.height / rect.height),
        pressure: event.pressure || 0.5,
      };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var p = point(event);
      ctx.strokeStyle = "#000000";
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.lineWidth = 2 + 4 * p.pressure;
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
      drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () {
        drawing = false;
      });
    });

    form.querySelector("[data-clear]").addEventListener("click", reset);

    var signer = form.querySelector("[data-signer]");
    var nameInput = form.querySelector("input[name=name]");
    function syncSigner() {
      var option = signer.options[signer.selectedIndex];
      form.querySelector("input[name=role]").value = option.value;
      form.querySelector("input[name=officer]").value = option.getAttribute("data-officer") || "";
      nameInput.value = option.getAttribute("data-name") || "";
      nameInput.readOnly = option.value === "officer";
    }
    signer.addEventListener("change", syncSigner);
    syncSigner();

    form.addEventListener("submit", function (event) {
      if (!drawn) {
        event.preventDefault();
        form.querySelector("[data-signature-hint]").textContent = "请先在框内签名";
        return;
      }
      form.querySelector("input[name=image]").value = canvas.toDataURL("image/png");
    });

    reset();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-signature-form]").forEach(setup);
  });
})();
