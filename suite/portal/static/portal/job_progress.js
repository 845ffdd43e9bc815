// Progress components (portal/_job_progress.html): each follows its job over the page's shared
// /ws/jobs/ connection (jobsocket.js). Fallback, labelled on the page: while the socket is down
// or absent, each unfinished job's JSON status is polled every 3 s. When a job ends the page
// reloads, so the server shows the outcome (the result, or the failure with its retry button).
(function () {
  "use strict";
  if (window.SuiteJobProgress) return;
  var POLL_MS = 3000;
  var pollTimer = null;
  var reloading = false;

  function boxes() { return document.querySelectorAll("[data-job-progress]"); }

  function boxFor(id) { return document.querySelector('[data-job-progress][data-job-id="' + id + '"]'); }

  function unfinished() {
    return Array.prototype.filter.call(boxes(), function (b) {
      var s = b.getAttribute("data-status");
      return s === "queued" || s === "running";
    });
  }

  function finished(box) {
    if (reloading) return;
    if (box.getAttribute("data-on-done") === "reload") {
      reloading = true;
      window.location.reload();
    }
  }

  function apply(job) {
    var box = boxFor(job.id);
    if (!box) return;
    var was = box.getAttribute("data-status");
    if (was !== "queued" && was !== "running") return; // the page already shows its end
    var badge = box.querySelector('[data-field="status"]');
    if (badge && job.status_display) {
      badge.textContent = job.status_display; // "排队中（第 2 位）", "运行中"...
      badge.className = "badge badge-" + job.status;
    }
    var bar = box.querySelector('[data-field="progress"]');
    if (bar) { bar.value = job.progress; bar.textContent = job.progress + "%"; }
    var text = box.querySelector('[data-field="progress-text"]');
    if (text) text.textContent = job.progress + "%";
    var msg = box.querySelector('[data-field="message"]');
    if (msg && job.status === "running") msg.textContent = job.message || "";
    box.setAttribute("data-status", job.status);
    box.className = box.className.replace(/job-progress-\w+/, "job-progress-" + job.status);
    if (job.status === "succeeded" || job.status === "failed") finished(box);
  }

  function fetchOne(box) {
    var url = box.getAttribute("data-status-url");
    if (!url || !window.fetch) return;
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) { if (job) apply(job); })
      .catch(function () {});
  }

  function resync() { unfinished().forEach(fetchOne); }

  function setFallback(on) {
    Array.prototype.forEach.call(document.querySelectorAll('[data-job-progress] [data-field="fallback"]'), function (el) {
      el.hidden = !on;
    });
    if (on && !pollTimer) {
      pollTimer = window.setInterval(function () {
        if (!unfinished().length) { window.clearInterval(pollTimer); pollTimer = null; return; }
        resync();
      }, POLL_MS);
    } else if (!on && pollTimer) {
      window.clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  function start() {
    if (!unfinished().length) return;
    if (!window.SuiteJobSocket) { setFallback(true); return; }
    // A socket that never opens must not leave the bar still: poll if it is not live soon.
    window.setTimeout(function () { if (!window.SuiteJobSocket.isLive()) setFallback(true); }, 4000);
    window.SuiteJobSocket.subscribe({
      onJob: apply,
      onResync: resync,
      onLive: function (on) { setFallback(!on); }
    });
  }

  window.SuiteJobProgress = { apply: apply };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
