/* Hongxia front-end behaviour. Small on purpose: no framework, no inline script.
   Loaded with `defer`, after early.js has set <html class="js [large]">.

   - the large-text (大字模式) toggle, remembered in localStorage;
   - a CSRF header on htmx requests (fallback: base.html already sets hx-headers on <body>);
   - confirm before submitting a form with data-confirm="...";
   - a guard against double-submitting POST forms (elders double-click);
   - plain-language feedback when an htmx request fails or the session has ended;
   - filters start folded on phones.
   Filters are never auto-submitted: people press the Search button themselves. */
(function () {
  "use strict";

  var LARGE_KEY = "hongxia.large";
  var root = document.documentElement;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  /* ---- 大字模式: large text ---------------------------------------------------- */

  function isLarge() { return root.classList.contains("large"); }

  function applyLarge(on, persist) {
    root.classList.toggle("large", on);
    var btn = document.getElementById("toggle-large");
    if (btn) { btn.setAttribute("aria-pressed", on ? "true" : "false"); }
    if (persist) {
      try { window.localStorage.setItem(LARGE_KEY, on ? "1" : "0"); } catch (e) { /* blocked */ }
    }
  }

  function initLargeToggle() {
    var btn = document.getElementById("toggle-large");
    if (!btn) { return; }
    btn.hidden = false;  /* the button is useless without script, so it ships hidden */
    btn.setAttribute("aria-pressed", isLarge() ? "true" : "false");
    btn.addEventListener("click", function () { applyLarge(!isLarge(), true); });
    /* Keep other open tabs in step. */
    window.addEventListener("storage", function (e) {
      if (e.key === LARGE_KEY) { applyLarge(e.newValue === "1", false); }
    });
  }

  /* ---- CSRF for htmx --------------------------------------------------------- */

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) { return meta.content; }
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  document.addEventListener("htmx:configRequest", function (e) {
    var headers = e.detail.headers;
    if (!headers["X-CSRFToken"]) {
      var token = csrfToken();
      if (token) { headers["X-CSRFToken"] = token; }
    }
  });

  /* ---- Messages shown by script ---------------------------------------------- */

  function say(level, text) {
    var list = document.getElementById("messages");
    if (!list || !text) { return; }
    var li = document.createElement("li");
    li.className = level;
    li.setAttribute("role", level === "error" ? "alert" : "status");
    li.textContent = text;
    list.appendChild(li);
  }

  function bodyText(name) { return document.body.getAttribute("data-msg-" + name) || ""; }

  /* A request that ended on the login page means the session timed out: go there for
     real, coming back to this page afterwards, instead of squeezing the login form into
     a table cell. */
  document.addEventListener("htmx:beforeSwap", function (e) {
    var login = document.body.getAttribute("data-login-url");
    var xhr = e.detail.xhr;
    if (!login || !xhr || !xhr.responseURL) { return; }
    var path;
    try { path = new URL(xhr.responseURL).pathname; } catch (err) { return; }
    if (path === login) {
      e.detail.shouldSwap = false;
      window.location.assign(login + "?next=" +
        encodeURIComponent(window.location.pathname + window.location.search));
    }
  });

  document.addEventListener("htmx:responseError", function () { say("error", bodyText("error")); });
  document.addEventListener("htmx:sendError", function () { say("error", bodyText("offline")); });

  /* ---- Confirm and double-submit guard --------------------------------------- */

  /* Capture phase, so a "Cancel" answer stops htmx's own submit handler too. */
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    if (form.getAttribute("data-submitting") === "1") {
      e.preventDefault();
      e.stopImmediatePropagation();
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  /* Bubble phase: if nothing cancelled the submit, the browser is sending it now. */
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || e.defaultPrevented) { return; }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
    form.setAttribute("data-submitting", "1");
    form.setAttribute("aria-busy", "true");
    /* A download (e.g. an export) leaves the page in place: allow another try later. */
    window.setTimeout(function () { release(form); }, 8000);
  });

  function release(form) {
    form.removeAttribute("data-submitting");
    form.removeAttribute("aria-busy");
  }

  /* Coming back with the Back button restores the page from cache: unlock its forms. */
  window.addEventListener("pageshow", function () {
    each(document.querySelectorAll("form[data-submitting]"), release);
  });

  /* ---- Filters fold away on phones ------------------------------------------- */

  function foldFiltersOnPhones() {
    if (!window.matchMedia || !window.matchMedia("(max-width: 767.98px)").matches) { return; }
    each(document.querySelectorAll("details.filters-wrap[open]"), function (d) {
      if (d.hasAttribute("data-keep-open") || d.querySelector(".has-error, .errorlist")) { return; }
      d.open = false;
    });
  }

  function init() {
    initLargeToggle();
    foldFiltersOnPhones();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
