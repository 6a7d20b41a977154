// Door check-in: keep the scanner field focused, give every check-in a client id that is kept
// until the server answers (a retry resends the same id, so nothing is counted twice), and show
// clearly when a check-in is still pending.
(function () {
  "use strict";
  var door = document.querySelector("[data-door]");
  if (!door) { return; }
  var scan = document.querySelector("[data-scan-input]");
  var pending = document.getElementById("door-pending");
  var RETRY_MS = 2000;

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function isField(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA" || el.isContentEditable);
  }
  function focusScan() {
    if (scan && !isField(document.activeElement)) { scan.focus(); }
  }
  function showPending(text) {
    pending.textContent = text; pending.hidden = false; door.classList.add("is-pending");
  }
  function clearPending() {
    pending.hidden = true; pending.textContent = ""; door.classList.remove("is-pending");
  }

  document.addEventListener("click", function (e) {
    if (!isField(e.target) && !e.target.closest("summary, details form")) { setTimeout(focusScan, 0); }
  });
  document.body.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt.closest && e.detail.elt.closest("form[data-checkin-form]");
    if (!form) { return; }
    var field = form.querySelector("input[name=client_id]");
    if (!field.value) { field.value = newId(); }
    e.detail.parameters["client_id"] = field.value;
  });
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.elt.matches && e.detail.elt.matches("form[data-checkin-form]")) {
      showPending(door.dataset.pendingText || "⏳ …");
    }
  });
  function retryLater(form) {
    // Not confirmed: keep the same client id and the scanned code, and send again.
    showPending(door.dataset.retryText || "⚠");
    if (form._retry) { return; }
    form._retry = setTimeout(function () { form._retry = null; htmx.trigger(form, "submit"); }, RETRY_MS);
  }
  function checkinForm(elt) {
    return elt && elt.matches && elt.matches("form[data-checkin-form]") ? elt : null;
  }
  document.body.addEventListener("htmx:sendError", function (e) {
    var form = checkinForm(e.detail.elt);
    if (form) { retryLater(form); }
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var form = checkinForm(e.detail.elt);
    if (!form) { return; }
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    if (status === 0 || status >= 500) {
      retryLater(form);
      return;
    }
    clearPending();
    form.querySelector("input[name=client_id]").value = "";
    if (form.id === "scan-form") { form.reset(); }
    if (form.closest(".walk-in")) { form.reset(); form.closest("details").open = false; }
    if (scan) { scan.focus(); }
  });
  var toggle = document.querySelector("[data-keyboard-toggle]");
  if (toggle) {
    toggle.addEventListener("click", function () {
      scan.setAttribute("inputmode", scan.getAttribute("inputmode") === "none" ? "text" : "none");
      scan.blur(); scan.focus();
    });
  }
  focusScan();
})();
