/* Loaded synchronously in <head>, before the page paints: apply the saved text-size
   preference so large-text users never see a flash of small text. Kept separate from
   app.js (which is deferred) and free of inline script, so a strict CSP can allow it. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  try {
    if (window.localStorage.getItem("hongxia.large") === "1") {
      root.classList.add("large");
    }
  } catch (e) {
    /* Storage blocked (privacy mode, policy): keep the default size. */
  }
}());
