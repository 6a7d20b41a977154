// Reception: show the quick lead form only when the visitor left contact info.
(function () {
  "use strict";
  function sync() {
    var box = document.querySelector("[data-contact-fields]");
    if (!box) { return; }
    var yes = document.querySelector("input[data-left-contact][value=yes]");
    box.classList.toggle("is-hidden", !(yes && yes.checked));
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[data-left-contact]")) { sync(); }
  });
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("htmx:afterSwap", sync);
})();
