// Conversation page: a suggested reply goes into the reply box for the agent to edit and send.
// Delegated, so the suggestions the "AI suggested replies" button swaps in (htmx) work too.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var b = event.target.closest ? event.target.closest(".use-suggestion") : null;
    if (!b) return;
    var box = document.getElementById("reply-text");
    if (box) { box.value = b.dataset.text; box.focus(); }
  });
  // Ctrl+Enter (Cmd+Enter on a Mac) in the reply box sends the reply.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!event.target || event.target.id !== "reply-text") return;
    var form = event.target.form;
    if (!form || !event.target.value.trim()) return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
