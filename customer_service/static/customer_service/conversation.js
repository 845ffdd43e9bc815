// Conversation page: a suggested reply goes into the reply box for the agent to edit and send.
(function () {
  "use strict";
  document.querySelectorAll(".use-suggestion").forEach(function (b) {
    b.addEventListener("click", function () {
      var box = document.getElementById("reply-text");
      if (box) { box.value = b.dataset.text; box.focus(); }
    });
  });
})();
