// The one /ws/jobs/ connection of a page, shared by every script that follows jobs (the jobs
// table, progress components). Messages carry a sequence number: a gap, a new connection or a
// lost one calls each subscriber's onResync so it reads the server's state again (livesocket.js).
// window.SuiteJobSocket.subscribe({onJob: fn(job), onResync: fn(), onLive: fn(bool)})
(function () {
  "use strict";
  if (window.SuiteJobSocket) return;
  var subscribers = [];
  var started = false;
  var live = false;

  function each(name, arg) {
    subscribers.forEach(function (s) { if (typeof s[name] === "function") s[name](arg); });
  }

  function start() {
    if (started) return;
    started = true;
    window.SuiteLiveSocket.open({
      path: "/ws/jobs/",
      group: "jobs",
      onEvent: function (data) { if (data.type === "job.updated" && data.job) each("onJob", data.job); },
      onResync: function () { each("onResync"); },
      onLive: function (on) { live = on; each("onLive", on); }
    });
  }

  window.SuiteJobSocket = {
    subscribe: function (handlers) { subscribers.push(handlers); start(); },
    isLive: function () { return live; }
  };
})();
