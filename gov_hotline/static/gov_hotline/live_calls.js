// 12345 live calls: starts from the server's state (json_script), then applies the agent-desk
// WebSocket events (call.started / call.resumed / call.transcript / call.draft / call.ended).
// Every event carries the group's seq; on a gap or a reconnect the page re-reads the state over
// HTTP. Without WebSockets it polls that state instead, and says so.
(function () {
  "use strict";
  var root, i18n, state, pollTimer = null;

  function t(key) { return i18n.getAttribute("data-" + key) || key; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function find(id) {
    for (var i = 0; i < state.calls.length; i++) if (state.calls[i].id === id) return state.calls[i];
    return null;
  }

  function conf(draft, key) {
    var c = draft.confidence && draft.confidence[key];
    return typeof c === "number" ? " (" + t("confidence") + " " + c.toFixed(2) + ")" : "";
  }

  function renderDraft(box, call) {
    box.textContent = "";
    var draft = call.draft;
    if (!draft) {
      box.appendChild(el("p", "muted", call.draftError || t("no-draft")));
      return;
    }
    if (draft.fallback) {
      var fb = el("p", "msg msg-info");
      fb.setAttribute("data-fallback", "1");
      fb.appendChild(el("strong", null, t("fallback") + ": "));
      fb.appendChild(document.createTextNode(draft.fallback_reason || ""));
      box.appendChild(fb);
    }
    var dl = el("dl", "draft");
    var category = [draft.category, draft.subcategory].filter(Boolean).join(" / ");
    [
      ["request-type", draft.request_type, "request_type"],
      ["category", category, "subcategory"],
      ["district", draft.district, "district"],
      ["summary", draft.summary, "summary"],
      ["urgency", draft.urgency ? t("urgency-" + draft.urgency) : "", "urgency"],
    ].forEach(function (row) {
      dl.appendChild(el("dt", null, t(row[0])));
      var dd = el("dd", null, (row[1] || "—") + conf(draft, row[2]));
      dd.setAttribute("data-field", row[2]);
      dl.appendChild(dd);
    });
    box.appendChild(dl);
  }

  function putLine(list, u, partial) {
    var existing = list.querySelector('li[data-utterance="' + u.utterance + '"]');
    var li = el("li", partial ? "partial" : "final", u.text);
    li.setAttribute("data-utterance", u.utterance);
    if (existing) list.replaceChild(li, existing); else list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function renderCall(call) {
    var card = root.querySelector('[data-call="' + call.id + '"]');
    if (!card) {
      card = el("section", "gh-call");
      card.setAttribute("data-call", call.id);
      card.appendChild(el("h2"));
      card.appendChild(el("ol", "transcript"));
      card.lastChild.setAttribute("aria-live", "polite");
      card.appendChild(el("div", "draft-box"));
      card.appendChild(el("p", "call-end"));
      root.insertBefore(card, root.firstChild);
    }
    var ended = call.status !== "active";
    card.querySelector("h2").textContent = t("caller") + " " + (call.caller || call.id.slice(0, 8)) +
      " · " + (ended ? (call.status === "dropped" ? t("dropped") : t("ended")) : t("active"));
    var list = card.querySelector(".transcript");
    list.textContent = "";
    call.utterances.forEach(function (u) { putLine(list, u, false); });
    renderDraft(card.querySelector(".draft-box"), call);
    renderEnd(card.querySelector(".call-end"), call);
  }

  function renderEnd(box, call) {
    box.textContent = "";
    if (!call.intake) return;
    if (call.intake.confirmed) { box.appendChild(el("span", "muted", t("confirmed"))); return; }
    var a = el("a", "btn btn-primary", t("confirm"));
    a.href = call.intake.url;
    a.setAttribute("data-confirm", call.id);
    box.appendChild(a);
  }

  function renderUnconfirmed() {
    var list = document.getElementById("unconfirmed");
    list.textContent = "";
    var n = 0;
    state.calls.forEach(function (call) {
      if (!call.intake || call.intake.confirmed) return;
      n += 1;
      var li = el("li");
      var a = el("a", null, t("confirm") + " · " + t("caller") + " " + (call.caller || ""));
      a.href = call.intake.url;
      li.appendChild(a);
      if (call.ended_at) li.appendChild(el("span", "muted", " " + new Date(call.ended_at).toLocaleString()));
      list.appendChild(li);
    });
    document.getElementById("no-unconfirmed").hidden = n > 0;
  }

  function renderAll() {
    root.textContent = "";
    state.calls.slice().reverse().forEach(renderCall);
    document.getElementById("no-calls").hidden = state.calls.length > 0;
    renderUnconfirmed();
  }

  function reload(showNotice) {
    fetch(root.getAttribute("data-state-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        state = data;
        renderAll();
        if (showNotice) document.getElementById("gap-notice").hidden = false;
      });
  }

  function onEvent(data) {
    var call = data.call_id ? find(data.call_id) : null;
    if (data.type === "call.started" || data.type === "call.resumed") {
      if (!call) {
        call = Object.assign({ utterances: [], draft: null, intake: null }, data.call);
        state.calls.unshift(call);
      } else {
        call.status = data.call.status;
      }
      document.getElementById("no-calls").hidden = true;
      renderCall(call);
      return;
    }
    if (!call) { reload(false); return; } // an event for a call the page never saw
    if (data.type === "call.transcript") {
      var card = root.querySelector('[data-call="' + call.id + '"]');
      if (data.final) {
        call.utterances = call.utterances.filter(function (u) { return u.utterance !== data.utterance; });
        call.utterances.push({ utterance: data.utterance, text: data.text });
      }
      putLine(card.querySelector(".transcript"), data, !data.final);
    } else if (data.type === "call.draft") {
      if (data.draft) { call.draft = data.draft; call.draftError = null; } else if (!call.draft) call.draftError = data.error;
      renderDraft(root.querySelector('[data-call="' + call.id + '"] .draft-box'), call);
    } else if (data.type === "call.ended") {
      call.status = data.call.status;
      call.ended_at = new Date().toISOString();
      call.intake = Object.assign({ confirmed: false }, data.intake);
      renderCall(call);
      renderUnconfirmed();
    }
  }

  function poll() {
    // The labelled fallback when the live feed cannot be reached.
    if (pollTimer) return;
    document.getElementById("poll-notice").hidden = false;
    pollTimer = window.setInterval(function () { reload(false); }, 15000);
  }

  function connect() {
    window.SuiteLiveSocket.open({
      path: root.getAttribute("data-ws-path"),
      group: "hotline.calls",
      onEvent: onEvent,
      onResync: function (reason) {
        if (reason === "gap") reload(true);
        else if (reason === "reopen") reload(false); // events may have been missed meanwhile
      },
      onLive: function (on) {
        document.getElementById("live-badge").hidden = !on;
        if (on) {
          root.setAttribute("data-live", "1");
          if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
          document.getElementById("poll-notice").hidden = true;
        } else {
          root.removeAttribute("data-live");
        }
      },
      onDown: function (failures) { if (failures > 2) poll(); }
    });
  }

  function init() {
    root = document.getElementById("live-calls");
    if (!root) return;
    i18n = document.getElementById("i18n-live");
    state = JSON.parse(document.getElementById("live-calls-state").textContent);
    renderAll();
    connect();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
