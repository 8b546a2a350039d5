/* The media desk's article page: candidates and their highlighted spans, keyboard shortcuts.
   j/k next/previous candidate, a accept as proposed, n new incident, r reject (focus the reason),
   e edit (focus the first field), ] next article, ? the shortcuts. Never while typing in a field. */
(function () {
  "use strict";
  var root = document.getElementById("media-article");
  if (!root) return;
  var current = null;

  function cards() { return Array.prototype.slice.call(root.querySelectorAll(".candidate:not(.is-background)")); }
  function pending() { return cards().filter(function (c) { return c.hasAttribute("data-actionable"); }); }

  function highlight(card) {
    var seq = card ? card.getAttribute("data-seq") : null;
    root.querySelectorAll("mark.hl").forEach(function (m) {
      var on = seq !== null && (" " + (m.getAttribute("data-c") || "") + " ").indexOf(" " + seq + " ") >= 0;
      m.classList.toggle("is-active", on);
    });
  }

  function select(card, scroll) {
    if (current) current.classList.remove("is-current");
    current = card || null;
    highlight(current);
    if (!current) return;
    current.classList.add("is-current");
    if (scroll !== false) {
      current.focus({ preventScroll: true });
      current.scrollIntoView({ block: "nearest", behavior: "smooth" });
      var first = root.querySelector('mark.hl.is-active');
      if (first) first.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }

  function move(step) {
    var list = cards();
    if (!list.length) return;
    var i = list.indexOf(current);
    i = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, i + step));
    select(list[i]);
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function click(selector) {
    var card = current && current.hasAttribute("data-actionable") ? current : null;
    var button = card && card.querySelector(selector);
    if (button) button.click();
    return !!button;
  }

  function focusField(selector) {
    var field = current && current.querySelector(selector);
    if (field) { field.focus(); if (field.select) field.select(); }
  }

  var dialog = document.getElementById("media-shortcuts");
  function showShortcuts() { if (dialog && !dialog.open) dialog.showModal(); }
  var opener = document.getElementById("show-shortcuts");
  if (opener) opener.addEventListener("click", showShortcuts);

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    if (typing(ev.target)) {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    if (dialog && dialog.open) return;
    var handled = true;
    switch (ev.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": click('button[value="accept"]'); break;
      case "n": click('button[value="new"]') || click('button[value="accept"]'); break;
      case "r": focusField('input[name$="-reason"]'); break;
      case "e": focusField(".candidate-form input:not([type=hidden]), .candidate-form select, .candidate-form textarea"); break;
      case "]": if (root.getAttribute("data-next-article")) window.location.href = root.getAttribute("data-next-article"); break;
      case "?": showShortcuts(); break;
      default: handled = false;
    }
    if (handled) ev.preventDefault();
  });

  // Enter in the reason or incident field presses its own button (reject, attach), not the form's first one
  // (accept); Enter in the other fields of a card does not submit at all, so a slip never files a claim.
  root.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || !ev.target.form || ev.target.tagName.toLowerCase() !== "input") return;
    var form = ev.target.form;
    if (!form.classList.contains("candidate-form")) return;
    ev.preventDefault();
    var button = form.querySelector('button[data-enter-for="' + ev.target.id + '"]');
    if (button) button.click();
  });

  root.addEventListener("click", function (ev) {
    var card = ev.target.closest && ev.target.closest(".candidate");
    if (card && !card.classList.contains("is-background")) { if (card !== current) select(card, false); return; }
    var mark = ev.target.closest && ev.target.closest("mark.hl[data-c]");
    if (mark) {
      var seq = mark.getAttribute("data-c").split(" ")[0];
      var target = root.querySelector('.candidate[data-seq="' + seq + '"]');
      if (target) select(target);
    }
  });

  // After a decision the card is swapped for its decided version: keep it current, then go to the next
  // candidate still awaiting a decision.
  document.body.addEventListener("htmx:afterSwap", function (ev) {
    var swapped = ev.detail && ev.detail.elt;
    if (!swapped || !swapped.classList || !swapped.classList.contains("candidate")) return;
    if (swapped.hasAttribute("data-actionable")) { select(swapped, false); return; }
    var list = pending();
    var after = list.filter(function (c) { return c.compareDocumentPosition(swapped) & Node.DOCUMENT_POSITION_PRECEDING; });
    select(after[0] || list[0] || swapped);
  });

  select(pending()[0] || cards()[0], false);
})();
