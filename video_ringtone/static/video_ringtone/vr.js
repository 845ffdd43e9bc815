// The creation page's progress bars, one per background job of the draft (the images being
// generated, the render): its place in line while it waits, then its progress and stage and the
// seconds it has been working. Live from /ws/jobs/, with polling of the draft's status as the
// fallback; the page reloads when a job finishes (the images or the video, or the failure with
// its retry button).
(function () {
  "use strict";
  var box = document.getElementById("vr-status");
  if (!box) return;
  var url = box.getAttribute("data-url");
  var elapsedText = box.getAttribute("data-elapsed") || "%(s)s s";
  var renderBusy = box.getAttribute("data-render-busy") === "true";
  var imagesBusy = box.getAttribute("data-images-busy") === "true";
  if (!renderBusy && !imagesBusy) return;
  var boxes = {};
  Array.prototype.forEach.call(document.querySelectorAll("[data-job-box]"), function (el) {
    var id = el.getAttribute("data-job");
    if (id) boxes[id] = { el: el, job: null, started: el.getAttribute("data-started") };
  });

  function describe(job, started) {
    // A job still waiting says where it stands in line ("排队中（第 3 位）").
    if (job.queue_position && job.status_display) return job.status_display;
    var parts = [job.progress + "%"];
    if (job.message) parts.push(job.message);
    var t = started || job.started_at;
    if (t) {
      var s = Math.max(0, Math.round((Date.now() - Date.parse(t)) / 1000));
      if (!isNaN(s)) parts.push(elapsedText.replace("%(s)s", s));
    }
    return parts.join(" · ");
  }

  function show(job) {
    var b = boxes[job.id];
    if (!b) return;
    b.job = job;
    if (job.started_at) b.started = job.started_at;
    var bar = b.el.querySelector("[data-bar]");
    var text = b.el.querySelector("[data-text]");
    if (bar) { bar.value = job.progress; bar.setAttribute("aria-valuenow", job.progress); }
    if (text) text.textContent = describe(job, b.started);
  }

  // The elapsed seconds keep counting between updates.
  window.setInterval(function () {
    Object.keys(boxes).forEach(function (id) { if (boxes[id].job) show(boxes[id].job); });
  }, 1000);

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return schedule();
        if (data.images) show(data.images);
        if (data.render && data.render.job_id) {
          show(Object.assign({}, data.render, { id: data.render.job_id, status: data.render.job_status }));
        }
        var renderDone = renderBusy && data.render && !data.render.busy;
        var imagesDone = imagesBusy && !data.images_pending;
        if (renderDone || imagesDone) { window.location.reload(); return; }
        schedule();
      })
      .catch(schedule);
  }

  var live = false;
  function schedule() { window.setTimeout(tick, live ? 3000 : 1000); }

  function listen() {
    window.SuiteLiveSocket.open({
      path: "/ws/jobs/",
      group: "jobs",
      onEvent: function (data) {
        if (data.type !== "job.updated" || !data.job || !boxes[data.job.id]) return;
        show(data.job);
        if (data.job.status === "succeeded" || data.job.status === "failed") window.location.reload();
      },
      onLive: function (on) { live = on; } // polling slows down while the feed is live
    });
  }

  listen();
  schedule();
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
