// Live agent pages: the handoff queue and an open conversation listen to the tenant's
// customer-service queue feed (/ws/customer-service/queue/) and re-fetch their fragment (htmx)
// when an event concerns them, on a sequence gap and after a reconnect. While the feed is not
// connected the fragments poll (every `data-cs-poll` seconds, a `cs:poll` htmx trigger), and the
// page says so: polling is the labelled fallback, not the normal path. (Not an htmx trigger
// filter such as `every 5s [!window.csLive]`: htmx evaluates those as code, which the
// Content-Security-Policy forbids.)
(function () {
  "use strict";
  var timer = null;
  window.csLive = false;

  function targets(event) {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-cs-live]"),
      function (el) {
        var only = el.getAttribute("data-conversation");
        return !event || !only || String(event.conversation) === only;
      }
    );
  }

  function refresh(event) {
    var els = targets(event);
    if (!els.length || !window.htmx) return;
    if (timer) window.clearTimeout(timer);
    // Coalesce a burst of events into one request per fragment.
    timer = window.setTimeout(function () {
      timer = null;
      els.forEach(function (el) {
        // The fragment may have been swapped since: look it up again by id.
        var current = el.id ? document.getElementById(el.id) : el;
        if (current) window.htmx.trigger(current, "cs:refresh");
      });
    }, 150);
  }

  function setLive(on) {
    window.csLive = on;
    document.querySelectorAll("[data-cs-live-badge]").forEach(function (b) { b.hidden = !on; });
    document.querySelectorAll("[data-cs-poll-badge]").forEach(function (b) { b.hidden = on; });
  }

  function connect() {
    if (!document.querySelector("[data-cs-live]")) return;
    window.SuiteLiveSocket.open({
      path: "/ws/customer-service/queue/",
      group: "customer_service.queue",
      onEvent: function (data) {
        if (data.type && data.type.indexOf("conversation.") === 0) refresh(data);
      },
      onResync: function () { refresh(null); },
      onLive: setLive
    });
  }

  function poll() {
    document.querySelectorAll("[data-cs-poll]").forEach(function (el) {
      var id = el.id;
      var every = 1000 * (parseFloat(el.getAttribute("data-cs-poll")) || 10);
      if (!id) return;
      window.setInterval(function () {
        // The fragment swaps itself (outerHTML): look it up again by id.
        var current = document.getElementById(id);
        if (!window.csLive && current && window.htmx) window.htmx.trigger(current, "cs:poll");
      }, every);
    });
  }

  function start() { poll(); connect(); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// The handoff queue's waiting times count on between refreshes: each cell carries the seconds
// waited when the server rendered it (data-waited-s); the formats are the server's own
// (the `duration` filter's), read from <template id="cs-wait-i18n">.
(function () {
  "use strict";
  var fmt = document.getElementById("cs-wait-i18n");
  if (!fmt) return;
  var seen = typeof WeakMap === "function" ? new WeakMap() : null;
  if (!seen) return;

  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); });
  }

  function duration(total) {
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    if (h) return fill(fmt.getAttribute("data-h"), { h: h, m: m });
    if (m) return fill(fmt.getAttribute("data-m"), { m: m, s: s });
    return fill(fmt.getAttribute("data-s"), { s: s });
  }

  function tick() {
    var now = Date.now();
    var long = parseInt(fmt.getAttribute("data-long"), 10) || 0;
    document.querySelectorAll("[data-waited-s]").forEach(function (cell) {
      if (!seen.has(cell)) seen.set(cell, now);  // a cell swapped in is counted from now
      var waited = (parseInt(cell.getAttribute("data-waited-s"), 10) || 0) +
        Math.floor((now - seen.get(cell)) / 1000);
      var text = cell.querySelector(".cs-wait-text");
      if (text) text.textContent = fill(fmt.getAttribute("data-waited"), { d: duration(waited) });
      if (long) cell.classList.toggle("cs-wait-long", waited > long);
    });
  }

  window.setInterval(tick, 1000);
})();
