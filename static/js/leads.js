// Lead pages: ask before destructive button-only forms (data-confirm).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
}, true);

// Lead list filters: folded into a drawer on phones, open on wider screens.
(function () {
  var drawer = document.querySelector("[data-filter-drawer]");
  if (drawer && window.matchMedia("(max-width: 699px)").matches) {
    drawer.open = false;
  }
})();
