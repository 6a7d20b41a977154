/* Copy or share a customer's RSVP link (lead page invitations, campaign call list).
   Loaded as a file: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  function say(root, key) {
    var status = root.querySelector("[data-share-status]");
    if (status) status.textContent = root.getAttribute("data-" + key) || "";
  }

  function selectText(input) {
    input.focus();
    input.select();
    try { input.setSelectionRange(0, input.value.length); } catch (e) { /* some inputs refuse */ }
  }

  // Older browsers and plain-http pages have no Clipboard API: select the text and try the old
  // copy command; if that fails too, the link stays selected for the phone's own copy menu.
  function fallback(root, input) {
    selectText(input);
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    say(root, copied ? "copied" : "selected");
  }

  function copy(root) {
    var input = root.querySelector("[data-share-url]");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        say(root, "copied");
      }, function () {
        fallback(root, input);
      });
    } else {
      fallback(root, input);
    }
  }

  function share(root) {
    var input = root.querySelector("[data-share-url]");
    navigator.share({
      title: root.getAttribute("data-share-title") || document.title,
      text: root.getAttribute("data-share-text") || "",
      url: input.value
    }).catch(function () { /* closed by the user */ });
  }

  // The share button shows only where the browser can share (phones, some desktops).
  function reveal(scope) {
    if (typeof navigator.share !== "function") return;
    var buttons = (scope || document).querySelectorAll("[data-share][hidden]");
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-link], [data-share]");
    if (!button) return;
    var root = button.closest("[data-share-link]");
    if (!root) return;
    if (button.hasAttribute("data-copy-link")) copy(root);
    else share(root);
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-share-url]")) selectText(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  // Call list rows are swapped in by htmx after each outcome.
  document.addEventListener("htmx:afterSettle", function () { reveal(document); });
})();
