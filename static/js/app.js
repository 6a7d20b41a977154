// LeadLoop page glue. No inline scripts anywhere (CSP); behaviour is attached here.
(function () {
  "use strict";

  function showToast(text) {
    var toast = document.getElementById("toast");
    if (!toast || !text) return;
    toast.textContent = text;
    toast.classList.add("show");
    clearTimeout(showToast.timer);
    showToast.timer = setTimeout(function () { toast.classList.remove("show"); }, 4000);
  }
  window.leadloop = { toast: showToast };

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  // Server events: HX-Trigger: {"toast": "text"}
  document.body.addEventListener("toast", function (event) {
    showToast(event.detail && (event.detail.value || event.detail.message));
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 429) { showToast(document.documentElement.lang === "en" ? "Too many requests, please wait." : "操作太频繁，请稍后再试。"); }
    else if (xhr && xhr.status >= 500) { showToast(document.documentElement.lang === "en" ? "Something went wrong. Please try again." : "出错了，请重试。"); }
  });
  document.addEventListener("htmx:sendError", function () {
    showToast(document.documentElement.lang === "en" ? "No connection. Please try again." : "网络连接失败，请重试。");
  });
})();
