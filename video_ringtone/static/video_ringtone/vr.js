// The creation page's progress bar: poll the draft's status while a render runs or images are
// being generated, update the bar in place, and reload when the work is finished.
(function () {
  "use strict";
  var box = document.getElementById("vr-status");
  if (!box) return;
  var url = box.getAttribute("data-url");
  var bar = document.getElementById("vr-progress");
  var text = document.getElementById("vr-progress-text");
  var startRender = box.getAttribute("data-render-status");
  var startImages = box.getAttribute("data-images-pending") === "true";
  var startCandidates = parseInt(box.getAttribute("data-candidates") || "0", 10);

  function busy(status) { return status === "queued" || status === "running"; }

  // A job still waiting says where it stands in line ("排队中（第 3 位）"), then its progress.
  function describe(job) {
    if (job.queue_position && job.status_display) return job.status_display;
    return job.progress + "%" + (job.message ? " · " + job.message : "");
  }

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return schedule();
        var render = data.render;
        if (render && bar) {
          bar.value = render.progress;
          bar.setAttribute("aria-valuenow", render.progress);
          if (text) text.textContent = describe(render);
        }
        var renderDone = render && busy(startRender) && !busy(render.status);
        var imagesDone = startImages && !data.images_pending && data.candidates !== startCandidates;
        var imagesStopped = startImages && !data.images_pending;
        if (renderDone || imagesDone || imagesStopped) { window.location.reload(); return; }
        schedule();
      })
      .catch(schedule);
  }

  var live = false;
  function schedule() { window.setTimeout(tick, live ? 3000 : 700); }

  // Live progress from /ws/jobs/ for the render job; polling stays on as the fallback.
  function listen(jobId) {
    if (!jobId || !("WebSocket" in window)) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try { ws = new WebSocket(scheme + window.location.host + "/ws/jobs/"); } catch (e) { return; }
    ws.onopen = function () { live = true; };
    ws.onclose = function () { live = false; };
    ws.onmessage = function (evt) {
      var data;
      try { data = JSON.parse(evt.data); } catch (e) { return; }
      if (data.type !== "job.updated" || !data.job || data.job.id !== jobId) return;
      if (bar) { bar.value = data.job.progress; bar.setAttribute("aria-valuenow", data.job.progress); }
      if (text) text.textContent = describe(data.job);
      if (data.job.status === "succeeded" || data.job.status === "failed") window.location.reload();
    };
  }

  if (busy(startRender)) listen(box.getAttribute("data-job"));
  if (busy(startRender) || startImages) schedule();
})();

// Device profile: preselect the rendition this screen can show (480p, 720p or 1080p).
(function () {
  "use strict";
  var select = document.querySelector("#render-form select[name=profile]");
  if (!select || select.getAttribute("data-touched")) return;
  var pixels = Math.min(window.screen.width, window.screen.height) * (window.devicePixelRatio || 1);
  select.value = pixels >= 1080 ? "high" : pixels >= 720 ? "standard" : "low";
  select.addEventListener("change", function () { select.setAttribute("data-touched", "1"); });
})();

// A submitted ringtone while its automatic checks run: look again every 2 s.
(function () {
  "use strict";
  if (document.getElementById("vr-checking")) window.setTimeout(function () { window.location.reload(); }, 2000);
})();

// An approved ringtone comes in several renditions: play the one this screen can show.
(function () {
  "use strict";
  var data = document.getElementById("vr-renditions");
  var video = document.querySelector("video.vr-video");
  if (!data || !video) return;
  var sources;
  try { sources = JSON.parse(data.textContent); } catch (e) { return; }
  var pixels = Math.min(window.screen.width, window.screen.height) * (window.devicePixelRatio || 1);
  var order = pixels >= 1080 ? ["high", "standard", "low"] : pixels >= 720 ? ["standard", "low", "high"] : ["low", "standard", "high"];
  for (var i = 0; i < order.length; i++) {
    if (sources[order[i]]) {
      if (video.getAttribute("src") !== sources[order[i]]) video.setAttribute("src", sources[order[i]]);
      video.setAttribute("data-profile", order[i]);
      return;
    }
  }
})();

// Drafts are saved as the user goes: a changed field of an autosave form is posted in the
// background; if the server refuses it, the form is submitted normally to show the error.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-autosave]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("change", function (evt) {
      if (evt.target.name === "candidate") return; // "replace image" waits for its button
      var data = new FormData(form);
      if (form.querySelector("button[name=action][value=save]")) data.set("action", "save");
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin", redirect: "follow" })
        .then(function (response) {
          if (!response.ok) { form.requestSubmit ? form.requestSubmit() : form.submit(); return; }
          var note = form.querySelector("[data-saved]");
          if (note) { note.hidden = false; window.setTimeout(function () { note.hidden = true; }, 2500); }
        })
        .catch(function () {});
    });
  });
})();

// 「AI帮我写文案」 waits a few seconds for the model: the prompt as typed goes with it (the
// autosave may not have stored it yet), the button says it is writing and cannot be pressed twice.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-wait]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (evt) {
      var button = form.querySelector("button[type=submit]");
      if (button && button.getAttribute("aria-busy") === "true") { evt.preventDefault(); return; }
      Array.prototype.forEach.call(form.querySelectorAll("[data-copy-of]"), function (input) {
        var source = document.querySelector(input.getAttribute("data-copy-of"));
        if (source) { input.value = source.value; input.disabled = false; }
      });
      if (button) {
        button.setAttribute("aria-busy", "true");
        if (button.getAttribute("data-wait-text")) button.textContent = button.getAttribute("data-wait-text");
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  });
})();
