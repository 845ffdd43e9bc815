// Live alerts: new events and status changes arrive over /ws/video-analytics/alerts/ and are
// put at the top of the list; on a sequence gap or a reconnect the list is re-fetched.
(function () {
  "use strict";
  var lastSeq = null;
  var retry = 0;

  function list() { return document.getElementById("va-alerts"); }

  function resync() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("va-alerts");
        var current = list();
        if (fresh && current) current.innerHTML = fresh.innerHTML;
      }).catch(function () {});
  }

  function addEvent(event) {
    var ul = list();
    if (!ul) return;
    var empty = ul.querySelector("[data-empty]");
    if (empty) empty.remove();
    if (ul.querySelector('[data-event-id="' + event.id + '"]')) return;
    var li = document.createElement("li");
    li.className = "va-alert va-alert-new sev-" + event.severity;
    li.setAttribute("data-event-id", event.id);
    var badge = document.createElement("span");
    badge.className = "badge sev-" + event.severity;
    badge.textContent = event.severity_label;
    var link = document.createElement("a");
    link.href = ul.getAttribute("data-event-url").replace("/0/", "/" + event.id + "/");
    link.textContent = event.description;
    var meta = document.createElement("small");
    meta.className = "muted";
    meta.textContent = " " + new Date(event.occurred_at).toLocaleString() + " · ";
    var status = document.createElement("span");
    status.setAttribute("data-field", "status");
    status.textContent = event.status_label || event.status;
    meta.appendChild(status);
    li.appendChild(badge);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(link);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(meta);
    ul.insertBefore(li, ul.firstChild);
    while (ul.children.length > 50) ul.removeChild(ul.lastChild);
  }

  function updateStatus(event) {
    var li = list() && list().querySelector('[data-event-id="' + event.id + '"]');
    var field = li && li.querySelector('[data-field="status"]');
    if (field) field.textContent = event.status_label || event.status;
  }

  function onMessage(evt) {
    var data;
    try { data = JSON.parse(evt.data); } catch (e) { return; }
    if (data.type === "hello") {
      lastSeq = data.seq && typeof data.seq["va.alerts"] === "number" ? data.seq["va.alerts"] : null;
      return;
    }
    if (typeof data.seq === "number") {
      if (lastSeq !== null && data.seq <= lastSeq) return;
      var gap = lastSeq !== null && data.seq !== lastSeq + 1;
      lastSeq = data.seq;
      if (gap) { resync(); return; }
    }
    if (data.type === "va.event" && data.event) addEvent(data.event);
    if (data.type === "va.event.status" && data.event) updateStatus(data.event);
  }

  function setLive(on) {
    var badge = document.getElementById("va-live");
    if (badge) badge.hidden = !on;
  }

  function connect() {
    if (!("WebSocket" in window) || !list()) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try { ws = new WebSocket(scheme + window.location.host + "/ws/video-analytics/alerts/"); } catch (e) { return; }
    var opened = false;
    ws.onopen = function () { opened = true; retry = 0; setLive(true); };
    ws.onmessage = onMessage;
    ws.onclose = function (evt) {
      setLive(false);
      lastSeq = null;
      if (opened) resync();
      if (evt.code === 4401 || evt.code === 4403) return;
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, retry)));
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
