// The one /ws/jobs/ connection of a page, shared by every script that follows jobs (the jobs
// table, progress components). Messages carry a sequence number: a gap, a new connection or a
// lost one calls each subscriber's onResync so it reads the server's state again.
// window.SuiteJobSocket.subscribe({onJob: fn(job), onResync: fn(), onLive: fn(bool)})
(function () {
  "use strict";
  if (window.SuiteJobSocket) return;
  var subscribers = [];
  var lastSeq = null;
  var retry = 0;
  var started = false;
  var live = false;

  function each(name, arg) {
    subscribers.forEach(function (s) { if (typeof s[name] === "function") s[name](arg); });
  }

  function setLive(on) { live = on; each("onLive", on); }

  function onMessage(evt) {
    var data;
    try { data = JSON.parse(evt.data); } catch (e) { return; }
    if (data.type === "hello") {
      lastSeq = data.seq && typeof data.seq.jobs === "number" ? data.seq.jobs : null;
      each("onResync"); // anything that happened before the socket opened
      return;
    }
    if (typeof data.seq === "number") {
      if (lastSeq !== null && data.seq <= lastSeq) return; // duplicate or stale
      var gap = lastSeq !== null && data.seq !== lastSeq + 1;
      lastSeq = data.seq;
      if (gap) { each("onResync"); return; }
    }
    if (data.type === "job.updated" && data.job) each("onJob", data.job);
  }

  function connect() {
    if (!("WebSocket" in window)) { setLive(false); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try { ws = new WebSocket(scheme + window.location.host + "/ws/jobs/"); } catch (e) { setLive(false); return; }
    var opened = false;
    ws.onopen = function () { opened = true; retry = 0; setLive(true); };
    ws.onmessage = onMessage;
    ws.onclose = function (evt) {
      setLive(false);
      lastSeq = null;
      if (opened) each("onResync"); // events may have been missed while reconnecting
      if (evt.code === 4401 || evt.code === 4403) return; // signed out or not allowed
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, retry)));
    };
  }

  function start() {
    if (started) return;
    started = true;
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
    else connect();
  }

  window.SuiteJobSocket = {
    subscribe: function (handlers) { subscribers.push(handlers); start(); },
    isLive: function () { return live; }
  };
})();
