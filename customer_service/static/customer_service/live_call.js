// Live call view: starts from the server's state (json_script), then applies the agent-desk
// WebSocket events (call.started / call.transcript / call.alert / call.ended ...). Every event
// carries the group's seq; on a gap or a reconnect the page re-reads the state over HTTP.
(function () {
  "use strict";
  var root, i18n, state, current = null, lastAssist = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function dialectName(code) {
    if (!code) return "";
    return i18n.getAttribute("data-dialect-" + code) || code;
  }

  function selectedId() {
    return new URLSearchParams(window.location.search).get("call");
  }

  function renderCalls() {
    var list = document.getElementById("call-list");
    list.textContent = "";
    state.calls.forEach(function (call) {
      var li = el("li");
      var a = el("a", null, call.caller || call.id.slice(0, 8));
      a.href = "?call=" + encodeURIComponent(call.id);
      if (current && current.id === call.id) a.setAttribute("aria-current", "true");
      li.appendChild(a);
      if (call.dialect) li.appendChild(el("span", "meta", " " + dialectName(call.dialect)));
      list.appendChild(li);
    });
    document.getElementById("no-calls").hidden = state.calls.length > 0;
    // With no call running and none chosen, the page explains itself instead of empty panels.
    root.classList.toggle("is-idle", !state.calls.length && !current);
    document.getElementById("pick-call").hidden = !state.calls.length || !!current;
  }

  function renderHeader() {
    document.getElementById("call-caller").textContent = current ? current.caller || "" : "";
    var badge = document.getElementById("call-dialect");
    badge.textContent = current ? dialectName(current.dialect) : "";
    badge.hidden = !(current && current.dialect);
  }

  function transcriptLine(u, partial) {
    var li = el("li", partial ? "partial" : "final");
    li.setAttribute("data-utterance", u.utterance);
    li.appendChild(el("span", "text", u.text));
    if (!partial && u.dialect) li.appendChild(el("span", "meta", dialectName(u.dialect)));
    if (!partial && u.intent) li.appendChild(el("span", "meta", u.intent));
    return li;
  }

  function putLine(u, partial) {
    var list = document.getElementById("transcript");
    var existing = list.querySelector('li[data-utterance="' + u.utterance + '"]');
    var line = transcriptLine(u, partial);
    if (existing) list.replaceChild(line, existing); else list.appendChild(line);
    list.scrollTop = list.scrollHeight;
  }

  // Each suggestion says who wrote it: the language model (AI生成 · model) or a template. The
  // templates arrive with the transcript; the model's replies follow for the same utterance
  // (call.assist_replies) and replace the list in place.
  function repliesOf(u) {
    if (u.replies && u.replies.length) return u.replies;
    return (u.suggestions || []).map(function (text) { return { text: text, generated: false }; });
  }

  function renderAssist(u) {
    lastAssist = u;
    var box = document.getElementById("suggestions");
    box.textContent = "";
    var replies = repliesOf(u);
    replies.forEach(function (r) {
      var text = r.text;
      var li = el("li", r.generated ? "generated" : "template");
      li.setAttribute("data-generated", r.generated ? "1" : "0");
      li.appendChild(el("span", r.generated ? "badge cs-generated" : "badge badge-fallback",
        r.generated ? r.label : i18n.getAttribute("data-template")));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "reply-text", text));
      li.appendChild(document.createTextNode(" "));
      if (r.citations && r.citations.length) {
        li.appendChild(el("span", "meta", r.citations.map(function (c) { return "KB-" + c; }).join(", ") + " "));
      }
      var button = el("button", "btn btn-small", i18n.getAttribute("data-use"));
      button.type = "button";
      button.addEventListener("click", function () {
        var reply = document.getElementById("reply-box");
        reply.value = text;
        reply.focus();
        li.classList.add("used");
        button.textContent = i18n.getAttribute("data-used");
      });
      li.appendChild(button);
      box.appendChild(li);
    });
    document.getElementById("assist-generating").hidden = !u.generating;
    document.getElementById("assist-no-model").hidden = !u.noModelReply;
    var hits = document.getElementById("knowledge-hits");
    hits.textContent = "";
    (u.knowledge_hits || []).forEach(function (hit) {
      var li = el("li");
      li.appendChild(el("strong", null, hit.title));
      li.appendChild(el("div", "muted", hit.snippet));
      hits.appendChild(li);
    });
    document.getElementById("assist-fallback").hidden =
      replies.some(function (r) { return r.generated; }) || !replies.length;
    document.getElementById("intent").textContent = u.intent || "—";
  }

  function alert(message, cls) {
    var box = document.getElementById("alerts");
    box.appendChild(el("p", "msg " + (cls || "msg-warning"), message));
  }

  function renderAll() {
    renderCalls();
    renderHeader();
    var list = document.getElementById("transcript");
    list.textContent = "";
    state.utterances.forEach(function (u) { putLine(u, false); });
    if (state.utterances.length) renderAssist(state.utterances[state.utterances.length - 1]);
  }

  function reload(showNotice) {
    var url = root.getAttribute("data-state-url") + "?format=json";
    if (current) url += "&call=" + encodeURIComponent(current.id);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        state = data;
        if (data.call) current = data.call;
        renderAll();
        if (showNotice) document.getElementById("gap-notice").hidden = false;
      });
  }

  function follow(call) {
    // With no call chosen, the page follows the newest call.
    current = call;
    window.history.replaceState(null, "", "?call=" + encodeURIComponent(call.id));
    document.getElementById("transcript").textContent = "";
    renderHeader();
  }

  function onEvent(data) {
    if (data.type === "call.started" || data.type === "call.resumed") {
      if (!state.calls.some(function (c) { return c.id === data.call.id; })) state.calls.unshift(data.call);
      if (!current) follow(data.call);
      renderCalls();
      return;
    }
    if (data.type === "call.ended") {
      state.calls = state.calls.filter(function (c) { return c.id !== data.call_id; });
      renderCalls();
      if (current && current.id === data.call_id) alert(i18n.getAttribute("data-ended"), "msg-info");
      return;
    }
    if (!current || data.call_id !== current.id) return;
    if (data.type === "call.transcript") {
      putLine(data, !data.final);
      if (data.final) {
        renderAssist(data);
        if (data.dialect && data.dialect !== current.dialect) {
          current.dialect = data.dialect;
          renderHeader();
        }
      }
    } else if (data.type === "call.assist_replies") {
      if (lastAssist && lastAssist.utterance === data.utterance) {
        lastAssist.replies = data.replies;
        lastAssist.generating = false;
        lastAssist.noModelReply = !data.generated;
        renderAssist(lastAssist);
      }
    } else if (data.type === "call.alert") {
      alert(data.message);
    } else if (data.type === "call.barge_in") {
      alert(i18n.getAttribute("data-barge-in"), "msg-info");
    } else if (data.type === "call.bot_reply") {
      var li = el("li", "final bot");
      li.appendChild(el("span", "meta", i18n.getAttribute("data-bot-reply") + " · " + data.label));
      li.appendChild(el("span", "text", " " + data.text));
      document.getElementById("transcript").appendChild(li);
    }
  }

  function connect() {
    window.SuiteLiveSocket.open({
      path: root.getAttribute("data-ws-path"),
      group: "cs.calls",
      onEvent: onEvent,
      onResync: function (reason) {
        if (reason === "gap") reload(true);
        else if (reason === "reopen") reload(false); // events may have been missed meanwhile
      },
      onLive: function (on) {
        document.getElementById("live-badge").hidden = !on;
        if (on) root.setAttribute("data-live", "1");
        else root.removeAttribute("data-live");
      },
      giveUpAfter: 6
    });
  }

  function init() {
    root = document.getElementById("live-call");
    if (!root) return;
    i18n = document.getElementById("i18n-live");
    state = JSON.parse(document.getElementById("live-call-state").textContent);
    current = state.call;
    if (!current && selectedId()) current = null;
    renderAll();
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
