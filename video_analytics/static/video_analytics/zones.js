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
    var editingId = null; // the saved zone being edited, null when drawing a new one
    var editingNote = document.getElementById("zone-editing");
    var cancelButton = document.getElementById("zone-cancel");

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
      zones.forEach(function (z) { if (z.id !== editingId) drawShape(z, false); });
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
    function stopEditing() {
      editingId = null;
      points = [];
      nameInput.value = "";
      editingNote.hidden = true;
      cancelButton.hidden = true;
      redraw();
    }
    function startEditing(id) {
      var zone = zones.filter(function (z) { return z.id === id; })[0];
      if (!zone) return;
      editingId = id;
      nameInput.value = zone.name;
      kindInput.value = zone.kind;
      points = zone.points.map(function (p) { return [p[0], p[1]]; });
      editingNote.textContent = editingNote.getAttribute("data-template");
      editingNote.hidden = false;
      cancelButton.hidden = false;
      redraw();
    }
    document.getElementById("zone-list").addEventListener("click", function (evt) {
      var button = evt.target.closest(".zone-edit");
      if (button) startEditing(parseInt(button.getAttribute("data-zone-id"), 10));
    });
    cancelButton.addEventListener("click", stopEditing);
    kindInput.addEventListener("change", function () { points = []; redraw(); });
    document.getElementById("zone-undo").addEventListener("click", function () { points.pop(); redraw(); });
    document.getElementById("zone-clear").addEventListener("click", function () { points = []; redraw(); });
    document.getElementById("zone-save").addEventListener("click", function () {
      var body = { name: nameInput.value.trim(), kind: kindInput.value, points: points };
      if (editingId !== null) body.id = editingId;
      fetch(editor.getAttribute("data-save-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) { say(result.data.error || "Error", true); return; }
        var existing = document.querySelector('#zone-list li[data-zone-id="' + result.data.id + '"] strong');
        zones = zones.filter(function (z) { return z.id !== result.data.id; });
        zones.push(result.data);
        if (existing) {
          existing.textContent = result.data.name;
        } else {
          var list = document.getElementById("zone-list");
          var item = document.createElement("li");
          var name = document.createElement("strong");
          var edit = document.createElement("button");
          item.setAttribute("data-zone-id", result.data.id);
          name.textContent = result.data.name;
          edit.type = "button";
          edit.className = "link zone-edit";
          edit.setAttribute("data-zone-id", result.data.id);
          edit.textContent = list.getAttribute("data-edit-text") || "Edit";
          item.appendChild(name);
          item.appendChild(document.createTextNode(" "));
          item.appendChild(edit);
          list.appendChild(item);
        }
        stopEditing();
        say(editor.getAttribute("data-saved-text") || "✓ " + result.data.name, false);
      }).catch(function () { say("Network error", true); });
    });
    redraw();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
