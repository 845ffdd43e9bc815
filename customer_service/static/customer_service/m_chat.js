/* Subscriber chat: text, push-to-talk voice (MediaRecorder -> /voice/), replies playable as
   speech (/speech/<seq>/, labelled AI生成), survey at the end.
   The open conversation is resumed (data-resume), not replaced by a blank one. Once handed to a
   person, the queue position and estimated wait are shown, and the agent's replies arrive over
   the chat socket (/ws/customer-service/chat/<id>/); only while that socket is down does the
   page poll every data-poll seconds, and it says so (the labelled fallback). */
(function () {
  "use strict";
  var root = document.getElementById("cs-chat");
  if (!root) return;
  var L = root.dataset;
  var list = document.getElementById("cs-messages");
  var errorBox = document.getElementById("cs-error");
  var csrf = (document.body.getAttribute("hx-headers") || "").match(/"X-CSRFToken":\s*"([^"]+)"/);
  csrf = csrf ? csrf[1] : "";
  var base = null;
  var ended = false;
  var lastSeq = 0;
  var polling = null;
  var status = "bot";
  var live = false;
  var socket = null;
  var retry = 0;
  var queueBox = document.getElementById("cs-queue");
  var liveStatus = document.getElementById("cs-live-status");
  var liveBadge = document.getElementById("cs-live-badge");
  var pollBadge = document.getElementById("cs-poll-badge");

  function showError(message) {
    errorBox.textContent = message || L.labelError;
    errorBox.hidden = false;
  }

  function request(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    // The API negotiates its language from Accept-Language; answer in the page's language.
    options.headers = Object.assign({
      "X-CSRFToken": csrf,
      Accept: "application/json",
      "Accept-Language": document.documentElement.lang || "zh-CN",
    }, options.headers || {});
    return fetch(url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error((body.error && body.error.message) || L.labelError);
        return body;
      });
    });
  }

  function label(role) {
    return { customer: L.labelYou, bot: L.labelBot, agent: L.labelAgent, system: L.labelSystem }[role] || role;
  }

  function addTurn(turn) {
    if (turn.seq <= lastSeq) return;  // already shown (a poll and a reply can overlap)
    lastSeq = turn.seq;
    var li = document.createElement("li");
    li.className = "cs-msg cs-" + turn.role;
    li.dataset.seq = turn.seq;
    if (turn.role === "system") li.dataset.text = turn.text;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = label(turn.role);
    var text = document.createElement("div");
    text.className = "text";
    text.textContent = turn.text;
    li.appendChild(who);
    li.appendChild(text);
    if (turn.role === "bot" && turn.fallback) {
      // Quoted from the knowledge base, or a rule-based reply: never presented as an LLM.
      var fb = document.createElement("small");
      fb.className = "muted cs-fallback";
      fb.textContent = (turn.citations && turn.citations.length) ? L.labelFallback : L.labelRules;
      li.appendChild(fb);
    }
    if (turn.role === "bot" && turn.model) {
      // Written by a language model: labelled as generated, with the model's name.
      var gen = document.createElement("small");
      gen.className = "muted cs-generated";
      gen.textContent = L.labelAigc + " · " + L.labelGenerated + " (" + turn.model + ")";
      li.appendChild(gen);
    }
    if (turn.citations && turn.citations.length) {
      var src = document.createElement("small");
      src.className = "muted cs-sources";
      src.textContent = L.labelSources + ": " + turn.citations.map(function (c) { return c.title; }).join("、");
      li.appendChild(src);
    }
    if (turn.role === "bot" || turn.role === "agent") {
      var play = document.createElement("button");
      play.type = "button";
      play.className = "btn btn-small cs-play";
      play.textContent = "▶ " + L.labelPlay;
      play.addEventListener("click", function () { speak(turn.seq, li, play); });
      li.appendChild(play);
    }
    list.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }

  function speak(seq, li, button) {
    button.disabled = true;
    fetch(base + "speech/" + seq + "/", { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(L.labelError);
        return r.blob();
      })
      .then(function (blob) {
        var audio = li.querySelector("audio") || document.createElement("audio");
        audio.controls = true;
        audio.src = URL.createObjectURL(blob);
        if (!audio.parentNode) {
          var badge = document.createElement("span");
          badge.className = "badge cs-aigc";
          badge.textContent = L.labelAigc;
          li.appendChild(badge);
          li.appendChild(audio);
        }
        audio.play().catch(function () {});
      })
      .catch(function (e) { showError(e.message); })
      .finally(function () { button.disabled = false; });
  }

  function human() { return status === "queued" || status === "agent"; }

  function showQueue(queue) {
    var text = queue ? queue.text : "";
    // Right after the handoff the transcript's own notice says just this: say it once. The
    // line shows again as soon as the queue moves and the position differs.
    var last = list.lastElementChild;
    var said = !!last && last.classList.contains("cs-system") && last.dataset.text === text;
    queueBox.hidden = !text || said;
    queueBox.textContent = text;
  }

  // The live line: "实时" while the socket is up, the polling notice while it is down.
  function showLive() {
    liveStatus.hidden = ended || !human();
    liveBadge.hidden = !live;
    pollBadge.hidden = live;
  }

  function update(body) {
    (body.turns || []).forEach(addTurn);
    if ("queue" in body) showQueue(body.queue);
    status = (body.conversation ? body.conversation.status : body.status) || status;
    if (status === "closed") { finish(); return; }
    if (human() && !live) startPolling();
    showLive();
  }

  function render(body) {
    errorBox.hidden = true;
    update(body);
    if (!ended) connect();
  }

  // Agent replies come over the socket; polling is only the fallback while it is down.
  function connect() {
    if (socket || ended || !base || !("WebSocket" in window)) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + L.socketPath + root.dataset.conversation +
      "/?after=" + lastSeq;
    try { socket = new WebSocket(url); } catch (e) { socket = null; return; }
    var opened = false;
    socket.onopen = function () {
      opened = true;
      retry = 0;
      live = true;
      stopPolling();
      showLive();
    };
    socket.onmessage = function (evt) {
      var data;
      try { data = JSON.parse(evt.data); } catch (e) { return; }
      if (data.type === "chat.update") update(data);
    };
    socket.onclose = function (evt) {
      socket = null;
      live = false;
      if (ended) return;
      if (human()) startPolling();
      showLive();
      if (evt.code === 4401 || evt.code === 4403 || evt.code === 4404) return;
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, opened ? 0 : retry)));
    };
  }

  function startPolling() {
    if (polling || ended) return;
    polling = setInterval(function () {
      if (ended || live) { stopPolling(); return; }
      request(base).then(update).catch(function () {});
    }, 1000 * (Number(L.poll) || 5));
  }

  function stopPolling() {
    if (polling) clearInterval(polling);
    polling = null;
  }

  function finish() {
    ended = true;
    stopPolling();
    showQueue(null);
    if (socket) socket.close();
    showLive();
    document.getElementById("cs-survey").hidden = false;
    document.getElementById("cs-form").hidden = true;
    document.getElementById("cs-ptt").hidden = true;
  }

  function opened(conv) {
    base = L.startUrl + conv.id + "/";
    root.dataset.conversation = conv.id;
    render(conv);
  }

  function create() {
    return request(L.startUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel: "chat" }),
    }).then(opened);
  }

  // The conversation the subscriber left open is resumed; a new one only when there is none.
  function start() {
    if (!L.resume) return create();
    return request(L.startUrl + L.resume + "/").then(function (conv) {
      if (conv.status === "closed") return create();
      opened(conv);
    }, create);
  }

  document.getElementById("cs-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = document.getElementById("cs-text");
    var text = input.value.trim();
    if (!text || ended) return;
    input.value = "";
    request(base + "messages/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: text }),
    }).then(render).catch(function (err) { showError(err.message); });
  });

  document.getElementById("cs-end").addEventListener("click", function () {
    if (ended) return;
    request(base + "end/", { method: "POST" }).then(function (conv) {
      (conv.turns || []).forEach(addTurn);
      finish();
    }).catch(function (err) { showError(err.message); });
  });

  document.querySelectorAll(".cs-rate").forEach(function (b) {
    b.addEventListener("click", function () {
      request(base + "survey/", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ score: Number(b.dataset.score) }),
      }).then(function () {
        document.getElementById("cs-survey").innerHTML = "<p>✓</p>";
      }).catch(function (err) { showError(err.message); });
    });
  });

  // Push-to-talk: hold the button to record, release to send.
  var ptt = document.getElementById("cs-ptt");
  var recorder = null;
  var chunks = [];
  var idleLabel = ptt.textContent;
  function pttStart(e) {
    e.preventDefault();
    if (recorder || ended) return;
    if (!navigator.mediaDevices || !window.MediaRecorder) { showError(L.labelMicDenied); return; }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (ev) { if (ev.data.size) chunks.push(ev.data); };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        var blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
        recorder = null;
        sendVoice(blob);
      };
      recorder.start();
      ptt.setAttribute("aria-pressed", "true");
      ptt.textContent = L.labelRecording;
    }).catch(function () { showError(L.labelMicDenied); });
  }
  function pttStop(e) {
    e.preventDefault();
    if (recorder && recorder.state === "recording") recorder.stop();
    ptt.setAttribute("aria-pressed", "false");
    ptt.textContent = idleLabel;
  }
  function sendVoice(blob) {
    var form = new FormData();
    var ext = (blob.type.indexOf("ogg") >= 0) ? "ogg" : (blob.type.indexOf("mp4") >= 0 ? "m4a" : "webm");
    form.append("audio", blob, "voice." + ext);
    request(base + "voice/", { method: "POST", body: form }).then(render).catch(function (err) { showError(err.message); });
  }
  ptt.addEventListener("mousedown", pttStart);
  ptt.addEventListener("touchstart", pttStart);
  ptt.addEventListener("mouseup", pttStop);
  ptt.addEventListener("mouseleave", pttStop);
  ptt.addEventListener("touchend", pttStop);

  start().catch(function (err) { showError(err.message); });
})();
