// One live feed over a WebSocket, as every live page of the suite follows one: events carry the
// group's sequence number, so duplicates and stale events are dropped, and a gap, a new
// connection or a lost one tells the page to read the server's state again (over HTTP). A lost
// connection is retried with a growing wait (2 s ... 30 s), except when the server closed it for
// a signed-out or forbidden user (4401, 4403).
//
//   window.SuiteLiveSocket.open({
//     path: "/ws/…/",              // on this host, wss:// on an https page
//     group: "va.alerts",          // this feed's key in the hello message's seq
//     onEvent: fn(data),           // each event in order
//     onResync: fn(reason),        // "open" (the first connection), "reopen", "gap", "lost"
//     onLive: fn(isLive),          // badges: connected or not
//     onDown: fn(failures),        // optional: consecutive failed tries (Infinity: no WebSocket)
//     giveUpAfter: n               // optional: stop after n failures if it never connected
//   });
(function () {
  "use strict";
  if (window.SuiteLiveSocket) return;

  function open(options) {
    var lastSeq = null;
    var failures = 0;
    var everOpened = false;
    var connections = 0;
    var call = function (name, arg) {
      if (typeof options[name] === "function") options[name](arg);
    };

    function onMessage(evt) {
      var data;
      try { data = JSON.parse(evt.data); } catch (e) { return; }
      if (data.type === "hello") {
        var seq = data.seq ? data.seq[options.group] : null;
        lastSeq = typeof seq === "number" ? seq : null;
        call("onResync", connections > 1 ? "reopen" : "open"); // what came before it
        return;
      }
      if (typeof data.seq === "number") {
        if (lastSeq !== null && data.seq <= lastSeq) return; // duplicate or stale
        var gap = lastSeq !== null && data.seq !== lastSeq + 1;
        lastSeq = data.seq;
        if (gap) { call("onResync", "gap"); return; }
      }
      call("onEvent", data);
    }

    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var ws;
      try { ws = new WebSocket(scheme + window.location.host + options.path); } catch (e) {
        call("onLive", false);
        call("onDown", Infinity);
        return;
      }
      var opened = false;
      ws.onopen = function () {
        opened = everOpened = true;
        connections += 1;
        failures = 0;
        call("onLive", true);
      };
      ws.onmessage = onMessage;
      ws.onclose = function (evt) {
        call("onLive", false);
        lastSeq = null;
        if (opened) call("onResync", "lost"); // events may be missed until it reconnects
        if (evt.code === 4401 || evt.code === 4403) return; // signed out or not allowed
        failures += 1;
        call("onDown", failures);
        if (!everOpened && options.giveUpAfter && failures >= options.giveUpAfter) return;
        window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 6))));
      };
    }

    if (!("WebSocket" in window)) {
      call("onLive", false);
      call("onDown", Infinity);
      return;
    }
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
    else connect();
  }

  window.SuiteLiveSocket = { open: open };
})();
