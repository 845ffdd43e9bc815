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
})();
