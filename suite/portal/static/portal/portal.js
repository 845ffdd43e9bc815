// Shared portal behaviour. Loaded after htmx (both deferred).
(function () {
  "use strict";
  // An htmx request that was redirected (sign-in succeeded, session expired) must not swap
  // the next page into a fragment: follow the redirect as a real navigation instead.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (!xhr || !xhr.responseURL) return;
    var requested = new URL(evt.detail.requestConfig.path, window.location.href);
    var landed = new URL(xhr.responseURL);
    if (landed.pathname !== requested.pathname) {
      evt.detail.shouldSwap = false;
      window.location.assign(landed.href);
    }
  });
})();

// Forms that destroy something ask first: <form data-confirm-submit="question">. (A listener,
// not an onsubmit attribute: the Content-Security-Policy allows no inline script.)
(function () {
  "use strict";
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm-submit");
    if (question && !window.confirm(question)) evt.preventDefault();
  });
})();

// A form the server refused comes back as the page it sits on, but at the address it was
// posted to, with its errors perhaps below the fold. Put the page's own address back (a reload
// would post again otherwise), open any folded section holding the first error, bring it into
// view and put the cursor in its field.
(function () {
  "use strict";
  function showFirstError() {
    var pageUrl = document.querySelector('meta[name="page-url"]');
    if (pageUrl && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", pageUrl.content);
    }
    var error = document.querySelector(".field.has-error, form .form-errors, form .error");
    if (!error) return;
    for (var folded = error.closest("details"); folded; folded = folded.parentElement.closest("details")) {
      folded.open = true;
    }
    error.scrollIntoView({ block: "center" });
    var scope = error.closest(".field") || error.closest("form");
    var input = scope && scope.querySelector("input:not([type=hidden]), select, textarea");
    if (input) input.focus({ preventScroll: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showFirstError);
  } else {
    showFirstError();
  }
})();

// <button data-print>: print the page (statements); the print stylesheet drops the chrome.
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-print]");
    if (button) window.print();
  });
})();

// A native file picker prints its button and its "no file" text in the browser's language,
// not the page's ("Choose File" on a Chinese page). Wrap each one in a picker that speaks the
// page's language, shows the chosen names and takes a dropped file. The native input stays the
// focusable, labelled control (keyboard, screen readers, `required`); the wrapper only draws it.
(function () {
  "use strict";
  var text = document.body.dataset;

  function describe(input, names) {
    names.textContent = input.files && input.files.length
      ? Array.prototype.map.call(input.files, function (f) { return f.name; }).join("、")
      : text.fileNone;
    names.classList.toggle("chosen", !!(input.files && input.files.length));
  }

  function enhance(input) {
    if (input.closest(".file-picker")) return;
    var picker = document.createElement("span");
    picker.className = "file-picker";
    var button = document.createElement("span");
    button.className = "file-picker-button";
    button.setAttribute("aria-hidden", "true");
    button.textContent = text.fileChoose;
    var names = document.createElement("span");
    names.className = "file-picker-names";
    names.setAttribute("aria-live", "polite");
    var focused = document.activeElement === input;  // moving it in the page drops the focus
    input.parentNode.insertBefore(picker, input);
    picker.appendChild(input);
    if (focused) input.focus({ preventScroll: true });
    picker.appendChild(button);
    picker.appendChild(names);
    describe(input, names);
    input.addEventListener("change", function () { describe(input, names); });
    picker.addEventListener("click", function (evt) {
      if (evt.target !== input) input.click();
    });
    picker.addEventListener("dragover", function (evt) {
      evt.preventDefault();
      picker.classList.add("dragover");
    });
    picker.addEventListener("dragleave", function () { picker.classList.remove("dragover"); });
    picker.addEventListener("drop", function (evt) {
      evt.preventDefault();
      picker.classList.remove("dragover");
      var dropped = evt.dataTransfer && evt.dataTransfer.files;
      if (!dropped || !dropped.length) return;
      input.files = dropped;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function enhanceAll(root) {
    Array.prototype.forEach.call(root.querySelectorAll('input[type="file"]'), enhance);
  }
  document.addEventListener("htmx:load", function (evt) { enhanceAll(evt.detail.elt); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
})();

// Toasts: when a page's only messages are confirmations (success, info) they float over its
// top edge instead of pushing the page down. A success goes by itself after 8 s (not while its
// close button has the focus); an info stays until closed. Warnings and errors stay in the page
// next to what they are about. Clicks pass through a toast to the page under it (only its close
// button takes them), so it never blocks the next step.
(function () {
  "use strict";
  var list = document.querySelector("ul.messages");
  if (!list) return;
  var items = Array.prototype.slice.call(list.children);
  var confirmations = items.length > 0 && items.every(function (li) {
    return li.classList.contains("msg-success") || li.classList.contains("msg-info");
  });
  if (!confirmations) return;
  list.classList.add("toasts");
  items.forEach(function (li) {
    var timer = null;
    function dismiss() {
      li.remove();
      if (!list.children.length) list.remove();
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", document.body.dataset.closeLabel || "");
    close.addEventListener("click", dismiss);
    li.appendChild(close);
    if (li.classList.contains("msg-success")) {
      var arm = function () { timer = window.setTimeout(dismiss, 8000); };
      close.addEventListener("focus", function () { window.clearTimeout(timer); });
      close.addEventListener("blur", arm);
      arm();
    }
  });
})();
