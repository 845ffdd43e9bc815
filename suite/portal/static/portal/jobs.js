// Live job progress: WebSocket events (jobsocket.js) update rows in place; the table fragment
// is re-fetched (via htmx) on a status change, an unknown job, a sequence gap or a lost
// connection. While a job is queued or running the fragment also polls itself every 3 s (see
// _jobs_table.html): that is the fallback when no event reaches this page.
(function () {
  "use strict";
  var refreshTimer = null;

  function table() { return document.getElementById("jobs-table"); }

  function refresh() {
    // Coalesce bursts of events into one request.
    if (refreshTimer) return;
    refreshTimer = window.setTimeout(function () {
      refreshTimer = null;
      var el = table();
      if (el && window.htmx) window.htmx.trigger(el, "jobs:refresh");
    }, 150);
  }

  function setLive(on) {
    var badge = document.getElementById("jobs-live");
    if (badge) badge.hidden = !on;
  }

  function applyJob(job) {
    var el = table();
    if (!el) return;
    var row = el.querySelector('tr[data-job-id="' + job.id + '"]');
    if (!row || row.getAttribute("data-status") !== job.status) {
      refresh(); // new job or new status: let the server render labels and links
      return;
    }
    var badge = row.querySelector('[data-field="status"]');
    if (badge && job.status_display) badge.textContent = job.status_display; // e.g. its place in line
    var bar = row.querySelector('[data-field="progress"]');
    if (bar) { bar.value = job.progress; bar.textContent = job.progress + "%"; }
    var text = row.querySelector('[data-field="progress-text"]');
    if (text) text.textContent = job.progress + "%";
    var msg = row.querySelector('[data-field="message"]');
    if (msg && job.status !== "failed") msg.textContent = job.message || "";
  }

  window.SuiteJobSocket.subscribe({ onJob: applyJob, onResync: refresh, onLive: setLive });
})();
