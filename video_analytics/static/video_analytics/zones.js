// Zone editor: click on the camera's snapshot to place points (normalised 0..1), save as an
// area (3+ points) or a line (2 points, directed first -> second). Plain DOM, no library.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function init() {
    var editor = document.getElementById("zone-editor");
    if (!editor) return;
    var canvas = document.getElementById("zone-canvas");
    var message = document.getElementById("zone-message");
    var nameInput = document.getElementById("zone-name");
    var kindInput = document.getElementById("zone-kind");
    var zones = JSON.parse(document.getElementById("zones-data").textContent || "[]");
    var points = [];

    function el(name, attrs) {
      var node = document.createElementNS(SVG, name);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      return node;
    }
    function coords(pts) {
      return pts.map(function (p) { return (p[0] * 1000).toFixed(1) + "," + (p[1] * 1000).toFixed(1); }).join(" ");
    }
    function drawShape(zone, draft) {
      var shape = zone.kind === "line" || (draft && zone.points.length < 3) ? "polyline" : "polygon";
      var node = el(shape, {
        points: coords(zone.points),
        "class": draft ? "zone-draft" : "zone-saved",
        "data-zone-name": zone.name || "",
        "vector-effect": "non-scaling-stroke"
      });
      canvas.appendChild(node);
      if (zone.kind === "line" && zone.points.length === 2) {
        var b = zone.points[1];
        canvas.appendChild(el("circle", { cx: b[0] * 1000, cy: b[1] * 1000, r: 8, "class": draft ? "zone-draft" : "zone-saved" }));
      }
      if (draft) {
        zone.points.forEach(function (p) {
          canvas.appendChild(el("circle", { cx: p[0] * 1000, cy: p[1] * 1000, r: 6, "class": "zone-point" }));
        });
      }
    }
    function redraw() {
      while (canvas.firstChild) canvas.removeChild(canvas.firstChild);
      zones.forEach(function (z) { drawShape(z, false); });
      if (points.length) drawShape({ kind: kindInput.value, points: points }, true);
    }
    function say(text, isError) {
      message.textContent = text;
      message.className = isError ? "error" : "help";
    }
    function csrf() {
      var field = document.querySelector("[name=csrfmiddlewaretoken]");
      return field ? field.value : "";
    }

    canvas.addEventListener("click", function (evt) {
      var box = canvas.getBoundingClientRect();
      var x = Math.min(1, Math.max(0, (evt.clientX - box.left) / box.width));
      var y = Math.min(1, Math.max(0, (evt.clientY - box.top) / box.height));
      if (kindInput.value === "line" && points.length >= 2) points = [];
      points.push([Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000]);
      redraw();
    });
    kindInput.addEventListener("change", function () { points = []; redraw(); });
    document.getElementById("zone-undo").addEventListener("click", function () { points.pop(); redraw(); });
    document.getElementById("zone-clear").addEventListener("click", function () { points = []; redraw(); });
    document.getElementById("zone-save").addEventListener("click", function () {
      var body = { name: nameInput.value.trim(), kind: kindInput.value, points: points };
      fetch(editor.getAttribute("data-save-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) { say(result.data.error || "Error", true); return; }
        zones.push(result.data);
        points = [];
        nameInput.value = "";
        redraw();
        var item = document.createElement("li");
        item.setAttribute("data-zone-id", result.data.id);
        item.textContent = result.data.name;
        document.getElementById("zone-list").appendChild(item);
        say(editor.getAttribute("data-saved-text") || "✓ " + result.data.name, false);
      }).catch(function () { say("Network error", true); });
    });
    redraw();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
