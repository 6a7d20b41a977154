// Follow-up form: the next plan date follows the chosen grade's cadence until the user picks one.
(function () {
  "use strict";
  function addDays(iso, days) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }
  function wire(form) {
    if (form.dataset.wired) return;
    form.dataset.wired = "1";
    var cadence = JSON.parse(form.dataset.cadence || "{}");
    var grade = form.querySelector("[name=grade_id]");
    var due = form.querySelector("[name=next_due]");
    if (!grade || !due) return;
    due.addEventListener("input", function () { due.dataset.touched = "1"; });
    grade.addEventListener("change", function () {
      var days = cadence[grade.value];
      if (days !== undefined && !due.dataset.touched) { due.value = addDays(form.dataset.today, days); }
    });
  }
  function scan(root) { (root || document).querySelectorAll("form.followup-form").forEach(wire); }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
