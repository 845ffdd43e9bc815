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
