// Live alerts: new events and status changes arrive over /ws/video-analytics/alerts/ and are
// put at the top of the list; on a sequence gap or a reconnect the list is re-fetched.
(function () {
  "use strict";
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

  function setLive(on) {
    var badge = document.getElementById("va-live");
    if (badge) badge.hidden = !on;
  }

  function connect() {
    if (!list()) return;
    window.SuiteLiveSocket.open({
      path: "/ws/video-analytics/alerts/",
      group: "va.alerts",
      onEvent: function (data) {
        if (data.type === "va.event" && data.event) addEvent(data.event);
        if (data.type === "va.event.status" && data.event) updateStatus(data.event);
      },
      // The list was rendered a moment ago: read it again only after a gap or a lost connection.
      onResync: function (reason) { if (reason !== "open") resync(); },
      onLive: setLive
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
