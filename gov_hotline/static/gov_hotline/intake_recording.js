// Live: the jobs WebSocket reports this job's progress and reloads the page when it ends.
// Fallback: without events the page reloads itself every 3 s until the job has finished.
(function () {
  var box = document.getElementById("gh-recording");
  var id = box.getAttribute("data-job-id");
  var poll = window.setTimeout(function () { window.location.reload(); }, 3000);
  if (!("WebSocket" in window) || !id) return;
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var ws;
  try { ws = new WebSocket(scheme + window.location.host + "/ws/jobs/"); } catch (e) { return; }
  ws.onopen = function () { window.clearTimeout(poll); poll = window.setTimeout(function () { window.location.reload(); }, 15000); };
  ws.onclose = function () { window.clearTimeout(poll); poll = window.setTimeout(function () { window.location.reload(); }, 3000); };
  ws.onmessage = function (evt) {
    var data; try { data = JSON.parse(evt.data); } catch (e) { return; }
    if (data.type !== "job.updated" || !data.job || data.job.id !== id) return;
    document.getElementById("gh-recording-progress").value = data.job.progress;
    document.getElementById("gh-recording-message").textContent = data.job.message || "";
    if (data.job.status_display) document.getElementById("gh-recording-status").textContent = data.job.status_display;
    if (data.job.status === "succeeded" || data.job.status === "failed") window.location.reload();
  };
})();
