// Pipeline board: a drag (mouse or touch) posts the move through htmx, as the board's "move to…"
// menu (a card's button opens it in the dialog) and the dialog's forms do. The answer redraws the
// touched columns out of band and brings the message and the dialog's content; this file wires
// SortableJS, opens the menu for a card and shows the dialog.
(function () {
  "use strict";
  var busy = false;
  var dlg = document.getElementById("board-dialog"); // kept; answers replace what is inside

  function bind(root) {
    if (typeof Sortable === "undefined" || !root.querySelectorAll) return;
    var lists = root.matches && root.matches(".board-cards[data-stage-id]") ? [root] : root.querySelectorAll(".board-cards[data-stage-id]");
    Array.prototype.forEach.call(lists, function (list) {
      if (list.sortableBound || !list.closest("#board")) return;
      list.sortableBound = true;
      Sortable.create(list, {
        group: { name: "board", pull: !list.dataset.dropOnly, put: true },
        sort: false, draggable: ".bcard", forceFallback: true, fallbackTolerance: 4, delayOnTouchOnly: true, delay: 120,
        filter: "select, button, input, a, label", preventOnFilter: false,
        onStart: function () { busy = true; },
        onEnd: function (evt) {
          var card = evt.item;
          if (evt.to === evt.from) { busy = false; return; }
          var done = function () { // an answer that did not redraw the card's columns (an error): put it back
            busy = false;
            if (card.isConnected) evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
          };
          htmx.ajax("POST", document.getElementById("board").dataset.moveUrl, { source: card, swap: "none", values: {
            lead_id: card.dataset.lead, version: card.dataset.version, from_stage: card.dataset.stageId, stage: evt.to.dataset.stage
          } }).then(done, done);
        }
      });
    });
  }
  htmx.onLoad(bind);

  // A card's "move to…" button: the board's menu, in the dialog, for this card. The stage after
  // the card's own has the focus (moves go forward); the card's own stage is not offered.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest(".bcard-move-open");
    var menu = document.getElementById("board-move-menu");
    if (!opener || !menu) return;
    var card = opener.closest(".bcard");
    dlg.replaceChildren(menu.content.cloneNode(true));
    var form = dlg.querySelector("form");
    form.elements.lead_id.value = card.dataset.lead;
    form.elements.version.value = card.dataset.version;
    form.elements.from_stage.value = card.dataset.stageId;
    form.querySelector(".board-move-name").textContent = card.querySelector(".bcard-name").textContent;
    var buttons = Array.prototype.slice.call(form.querySelectorAll(".board-move-stage"));
    var own = buttons.findIndex(function (b) { return b.dataset.stageId === card.dataset.stageId; });
    if (own >= 0) { buttons[own].disabled = true; buttons[own].setAttribute("aria-current", "true"); }
    htmx.process(form);
    dlg.dataset.card = card.id;
    dlg.setAttribute("aria-labelledby", "board-move-title");
    dlg.showModal();
    (buttons.slice(own + 1).concat(buttons).filter(function (b) { return !b.disabled; })[0] || form).focus();
  });

  // After a move's answer: show the dialog when the answer filled it, close it otherwise.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = dlg.querySelector("form");
    if (event.detail.requestConfig.verb !== "post" || !event.target.closest("#board, #board-dialog")) return;
    if (!form) return dlg.open && dlg.close();
    dlg.setAttribute("aria-labelledby", form.querySelector("h2[id]").id);
    if (!dlg.open) dlg.showModal();
    var first = form.querySelector("[aria-invalid=true]") || form.querySelector("input:not([type=hidden]), select, textarea, button:not([disabled])");
    if (first) first.focus();
  });
  // On closing, the card the menu was opened for keeps the focus (redrawn in its new column).
  dlg.addEventListener("close", function () {
    var card = dlg.dataset.card && document.getElementById(dlg.dataset.card);
    delete dlg.dataset.card;
    dlg.innerHTML = ""; dlg.removeAttribute("aria-labelledby");
    if (card) card.focus();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest(".board-dialog-cancel")) { event.preventDefault(); dlg.close(); }
  });

  // Keep the board still while a card is being dragged or a dialog is open.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id === "board-poll" && (busy || dlg.open)) event.preventDefault();
  });
})();
