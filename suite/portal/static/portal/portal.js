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
