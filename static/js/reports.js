// Reports: "Printable view" opens the print dialog; custom range inputs only matter for "custom".
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-print]");
  if (link && window.print) {
    event.preventDefault();
    window.print();
  }
});
function syncRange(form) {
  var period = form.querySelector("[name=period]");
  if (!period) return;
  form.querySelectorAll(".field.range").forEach(function (el) {
    el.hidden = period.value !== "custom";
  });
  var anchor = form.querySelector("[name=date]");
  if (anchor) anchor.closest(".field").hidden = period.value === "custom";
}
document.addEventListener("change", function (event) {
  var form = event.target.closest(".report-filters");
  if (form) syncRange(form);
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".report-filters").forEach(syncRange);
});
