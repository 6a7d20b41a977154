// Door check-in: keep the scanner field focused, give every check-in a client id that is kept
// until the server answers (a retry resends the same id, so nothing is counted twice), and show
// clearly when a check-in is still pending.
//
// Scans go into a queue kept in the tablet's storage and are sent one after the other. With the
// connection down, the clerk goes on scanning; the screen counts what is not confirmed yet, the
// queue survives a reload, and each scan keeps its own client id until the server has answered.
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

  // ---- the scan queue ---------------------------------------------------------------------
  var scanForm = document.getElementById("scan-form");
  var QUEUE_KEY = "leadloop-door-queue-" + door.dataset.event;
  var ANSWERED = { 200: true, 409: true, 422: true };  // the server decided: ok, already in, refused
  var sending = false;

  function loadQueue() {
    try { return JSON.parse(window.localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
  }
  function saveQueue(queue) {
    try { window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue)); } catch (e) { /* private mode */ }
  }
  function showQueue(queue, failed) {
    if (!queue.length) { clearPending(); return; }
    var text = failed ? (door.dataset.retryText || "⚠") : (door.dataset.pendingText || "⏳ …");
    showPending(queue.length > 1 ? text + " (" + queue.length + ")" : text);
    pending.dataset.waiting = String(queue.length);
  }
  function drain() {
    var queue = loadQueue();
    if (sending) { return; }
    if (!queue.length) { clearPending(); return; }
    sending = true;
    var item = queue[0];
    var csrf = scanForm.querySelector("input[name=csrf_token]").value;
    var body = new URLSearchParams({ code: item.code, client_id: item.id, csrf_token: csrf });
    showQueue(queue, false);
    fetch(scanForm.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrf }
    }).then(function (response) {
      if (!ANSWERED[response.status]) { throw new Error("not answered: " + response.status); }
      return response.text().then(function (html) {
        saveQueue(loadQueue().filter(function (other) { return other.id !== item.id; }));
        htmx.swap("#door-result", html, { swapStyle: "innerHTML" });
        sending = false;
        drain();
      });
    }).catch(function () {
      // Not confirmed: the scan stays first in the queue, with its client id, and is sent again.
      sending = false;
      showQueue(loadQueue(), true);
      setTimeout(drain, RETRY_MS);
    });
  }
  if (scanForm && window.fetch && window.URLSearchParams) {
    scanForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var code = scan.value.trim();
      if (!code) { return; }
      var queue = loadQueue();
      queue.push({ id: newId(), code: code, at: Date.now() });
      saveQueue(queue);
      scan.value = "";
      scan.focus();
      drain();
    });
    window.addEventListener("online", drain);
    drain();  // scans left from before a reload
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
