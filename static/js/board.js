// Pipeline board: drag a card (mouse or touch) or use its "move to…" form; the server decides
// where the card ends up (moved, back with a conflict message, or a dialog to fill in first).
(function () {
  "use strict";

  var busy = false;

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("data-hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function say(text) {
    if (!text) return;
    if (window.leadloop) window.leadloop.toast(text);
    var live = document.getElementById("board-live");
    if (live) live.textContent = text;
  }

  function listFor(stageId) {
    return document.querySelector('#board .board-cards[data-stage-id="' + stageId + '"]');
  }

  function bump(stageId, delta) {
    var el = document.querySelector("#col-" + stageId + " .board-count");
    if (!el) return;
    el.textContent = String(Math.max(0, (parseInt(el.textContent, 10) || 0) + delta));
  }

  function key(card) {
    return (card.dataset.due || "9999-12-31") + "|" + ("000000000000" + card.dataset.lead).slice(-12);
  }

  // Cards are ordered by next plan date (then id): put the card where that order says.
  function insertSorted(list, card) {
    var k = key(card);
    var items = list.querySelectorAll(":scope > .bcard");
    for (var i = 0; i < items.length; i++) {
      if (key(items[i]) > k) { list.insertBefore(card, items[i]); return; }
    }
    list.insertBefore(card, list.querySelector(":scope > .board-more-item"));
  }

  function putBack(card, origin) {
    if (!origin || !card) return;
    var ref = origin.list.children[origin.index] || null;
    origin.list.insertBefore(card, ref);
  }

  function parseResult(text) {
    var tpl = document.createElement("template");
    tpl.innerHTML = text;
    return tpl.content.querySelector(".board-result");
  }

  function dialog() { return document.getElementById("board-dialog"); }

  function closeDialog() {
    var dlg = dialog();
    if (dlg && dlg.open) dlg.close();
    if (dlg) { dlg.innerHTML = ""; dlg.removeAttribute("aria-labelledby"); }
  }

  function openDialog(form) {
    var dlg = dialog();
    if (!dlg || !form) return;
    dlg.innerHTML = "";
    dlg.appendChild(form);
    // The dialog is named by the title of the form it holds (an empty dialog names nothing).
    var title = form.querySelector("h2[id]");
    if (title) dlg.setAttribute("aria-labelledby", title.id);
    if (!dlg.open) dlg.showModal();
    var focus = form.querySelector("[aria-invalid=true]") ||
      form.querySelector("input:not([type=hidden]), select, textarea");
    if (focus) focus.focus();
  }

  // Replace `card` (wherever it is now) by the server's card, in the column the server says.
  function place(card, fresh, toStageId, refocus) {
    var fromStageId = card ? card.dataset.stageId : null;
    if (card) card.remove();
    if (fromStageId && toStageId && fromStageId !== toStageId) { bump(fromStageId, -1); bump(toStageId, 1); }
    if (!fresh) return;
    var list = listFor(toStageId);
    if (!list || list.dataset.dropOnly) return; // won / lost: counted, not listed
    insertSorted(list, fresh);
    if (window.htmx) window.htmx.process(fresh);
    if (refocus) fresh.focus();
  }

  function handle(status, text, card, origin, refocus) {
    var result = parseResult(text);
    if (!result) {
      putBack(card, origin);
      say(document.documentElement.lang === "en" ? "Something went wrong. Please try again." : "出错了，请重试。");
      return;
    }
    var outcome = result.dataset.outcome;
    if (outcome === "dialog") {
      putBack(card, origin);
      openDialog(result.querySelector("form"));
      return;
    }
    closeDialog();
    var fresh = result.querySelector(".bcard");
    if (outcome === "moved" || outcome === "requested" || outcome === "conflict" || outcome === "noop" ||
        outcome === "refused") {
      if (fresh) place(card, fresh, result.dataset.stageId, refocus);
      else putBack(card, origin);
    }
    say(result.dataset.message);
    if (status === 409 && fresh) fresh.classList.add("is-conflict");
  }

  function send(data, card, origin, refocus) {
    var board = document.getElementById("board");
    if (!board) return;
    busy = true;
    fetch(board.dataset.moveUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    }).then(function (response) {
      return response.text().then(function (text) { handle(response.status, text, card, origin, refocus); });
    }).catch(function () {
      putBack(card, origin);
      say(document.documentElement.lang === "en" ? "No connection. Please try again." : "网络连接失败，请重试。");
    }).then(function () { busy = false; });
  }

  function bind(root) {
    if (typeof Sortable === "undefined") return;
    var lists = root.querySelectorAll ? root.querySelectorAll("#board .board-cards, .board-cards[data-stage-id]") : [];
    if (root.matches && root.matches(".board-cards[data-stage-id]")) lists = [root];
    Array.prototype.forEach.call(lists, function (list) {
      if (list.sortableBound || !list.dataset.stageId) return;
      list.sortableBound = true;
      Sortable.create(list, {
        group: { name: "board", pull: !list.dataset.dropOnly, put: true },
        sort: false,
        draggable: ".bcard",
        forceFallback: true,
        fallbackTolerance: 4,
        delayOnTouchOnly: true,
        delay: 120,
        filter: "select, button, input, a, label",
        preventOnFilter: false,
        onStart: function () { busy = true; },
        onEnd: function (evt) {
          busy = false;
          if (evt.to === evt.from) return;
          var card = evt.item;
          var data = new FormData();
          data.append("lead_id", card.dataset.lead);
          data.append("version", card.dataset.version);
          data.append("stage", evt.to.dataset.stage);
          send(data, card, { list: evt.from, index: evt.oldIndex }, false);
        }
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(".bcard-move, .board-dialog-form")) return;
    event.preventDefault();
    var data = new FormData(form);
    if (form.matches(".bcard-move") && !data.get("stage")) return;
    var leadId = data.get("lead_id");
    var card = document.getElementById("card-" + leadId);
    if (card && !card.closest("#board")) card = null;
    send(data, card, null, form.matches(".bcard-move"));
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest(".board-dialog-cancel")) { event.preventDefault(); closeDialog(); }
  });

  // Keep the board still while a card is being dragged or a dialog is open.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "board-poll" && (busy || (dialog() && dialog().open))) event.preventDefault();
  });

  function dedupe(root) {
    if (!root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll(".board-more-item ~ .bcard, .bcard"), function (card) {
      var twins = document.querySelectorAll('#board .bcard[data-lead="' + card.dataset.lead + '"]');
      for (var i = 0; i < twins.length; i++) { if (twins[i] !== card && !root.contains(twins[i])) twins[i].remove(); }
    });
  }

  function start() {
    if (window.htmx) {
      window.htmx.onLoad(function (root) { dedupe(root); bind(root); });
    }
    bind(document);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// Touch screens: the card's "move to…" menu is the one control; choosing a stage sends the move.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches(".bcard-select") || !select.value) return;
  if (window.matchMedia && window.matchMedia("(pointer: coarse)").matches && select.form.requestSubmit) {
    select.form.requestSubmit();
  }
});
