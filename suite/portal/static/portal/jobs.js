// Live job progress: WebSocket events update rows in place; the table fragment is re-fetched
// (via htmx) on a status change, an unknown job, a sequence gap or a lost connection.
// While a job is queued or running the fragment also polls itself every 3 s (see
// _jobs_table.html): that is the fallback when no event reaches this page.
(function () {
  "use strict";
  var lastSeq = null;
  var retry = 0;
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

  function onMessage(evt) {
    var data;
    try { data = JSON.parse(evt.data); } catch (e) { return; }
    if (data.type === "hello") {
      lastSeq = data.seq && typeof data.seq.jobs === "number" ? data.seq.jobs : null;
      refresh(); // anything that happened before the socket opened
      return;
    }
    if (typeof data.seq === "number") {
      if (lastSeq !== null && data.seq <= lastSeq) return; // duplicate or stale
      var gap = lastSeq !== null && data.seq !== lastSeq + 1;
      lastSeq = data.seq;
      if (gap) { refresh(); return; }
    }
    if (data.type === "job.updated" && data.job) applyJob(data.job);
  }

  function connect() {
    if (!("WebSocket" in window)) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try { ws = new WebSocket(scheme + window.location.host + "/ws/jobs/"); } catch (e) { return; }
    var opened = false;
    ws.onopen = function () { opened = true; retry = 0; setLive(true); };
    ws.onmessage = onMessage;
    ws.onclose = function (evt) {
      setLive(false);
      lastSeq = null;
      if (opened) refresh(); // events may have been missed while reconnecting
      if (evt.code === 4401 || evt.code === 4403) return; // signed out or not allowed
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, retry)));
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", connect);
  } else {
    connect();
  }
})();
