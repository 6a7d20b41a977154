// Pipeline board: a drag (mouse or touch) posts the move through htmx, as the cards' "move to…"
// forms and the dialog's form do. The answer redraws the touched columns out of band and brings
// the message and the dialog's content; this file only wires SortableJS and shows the dialog.
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

  // A card moved by its form keeps the focus: htmx refocuses the redrawn element of the same id.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.target.closest && event.target.closest(".bcard-move");
    if (form) form.closest(".bcard").focus();
  });

  // After a move's answer: show the dialog when the answer filled it, close it otherwise.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = dlg.querySelector("form");
    if (event.detail.requestConfig.verb !== "post" || !event.target.closest("#board, #board-dialog")) return;
    if (!form) return dlg.open && dlg.close();
    dlg.setAttribute("aria-labelledby", form.querySelector("h2[id]").id);
    if (!dlg.open) dlg.showModal();
    (form.querySelector("[aria-invalid=true]") || form.querySelector("input:not([type=hidden]), select, textarea")).focus();
  });
  dlg.addEventListener("close", function () { dlg.innerHTML = ""; dlg.removeAttribute("aria-labelledby"); });
  document.addEventListener("click", function (event) {
    if (event.target.closest(".board-dialog-cancel")) { event.preventDefault(); dlg.close(); }
  });

  // Keep the board still while a card is being dragged or a dialog is open.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id === "board-poll" && (busy || dlg.open)) event.preventDefault();
  });

  // Touch screens: the card's "move to…" menu is the one control; choosing a stage sends the move.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches(".bcard-select") && select.value && window.matchMedia("(pointer: coarse)").matches) {
      select.form.requestSubmit();
    }
  });
})();
