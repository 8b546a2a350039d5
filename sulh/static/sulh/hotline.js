// The hotline console: live countdowns to each deadline, and on the inbox page the live stream.
//
// Countdowns: every [data-ack-due] / [data-due] element counts down to its time, once a second, against
// the server's clock (the page says what time the server had, so a wrong clock on this device does not
// move a deadline); overdue ones turn red.
//
// Stream: an EventSource on /hotline/stream (this session's cookie). It reconnects by itself and sends
// Last-Event-ID, so the server replays what was missed. On each event the inbox list is fetched again;
// a flash message shows a banner; a message now addressed to a post held here is reported "delivered".
// If the stream is refused (no post on duty: 403), the list is polled every 15 s instead.
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/) supplies gettext; English if it did not load.
  // Call sites spell gettext("…") literally so that `makemessages -d djangojs` finds the strings.
  const gettext = (t) => (window.gettext ? window.gettext(t) : t);
  const fmt = (t, obj) => t.replace(/%\((\w+)\)s/g, (m, k) => obj[k]);
  const POLL_MS = 15000;

  // --- countdowns ---------------------------------------------------------------------------------------
  let skew = 0; // server time minus this device's time, in ms
  function readSkew(root) {
    const el = root.querySelector("[data-server-now]") || (root.dataset && root.dataset.serverNow ? root : null);
    if (el) {
      const server = Date.parse(el.dataset.serverNow);
      if (!Number.isNaN(server)) skew = server - Date.now();
    }
  }

  function span(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    const pad = (n) => String(n).padStart(2, "0");
    const clock = `${h > 0 || d > 0 ? pad(h) + ":" : ""}${pad(m)}:${pad(s % 60)}`;
    return d > 0 ? fmt(gettext("%(days)sd %(clock)s"), { days: d, clock: clock }) : clock;
  }

  function tick() {
    const now = Date.now() + skew;
    document.querySelectorAll("[data-ack-due], [data-due]").forEach((el) => {
      const due = Date.parse(el.dataset.ackDue || el.dataset.due);
      if (Number.isNaN(due)) return;
      const left = due - now;
      const overdue = left < 0;
      const text = overdue ? fmt(gettext("overdue by %(time)s"), { time: span(left) })
        : fmt(gettext("%(time)s left"), { time: span(left) });
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("overdue", overdue);
      el.classList.toggle("soon", !overdue && left < 60000);
      const card = el.closest(".hl-msg");
      if (card) card.classList.toggle("is-overdue", overdue);
    });
  }

  // --- the inbox's live stream ---------------------------------------------------------------------------
  const root = document.getElementById("hotline");
  let source = null, pollTimer = null, refreshTimer = null;

  function refresh() {
    // Several events in a burst make one fetch.
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      if (window.htmx) {
        window.htmx.ajax("GET", root.dataset.inboxUrl, { target: "#hotline-inbox", swap: "innerHTML" });
      } else {
        window.location.reload();
      }
    }, 250);
  }

  function status(text) {
    const el = document.getElementById("hotline-live");
    if (el) el.textContent = text;
  }

  function heldPosts() {
    return new Set((root.dataset.posts || "").split(/\s+/).filter(Boolean));
  }

  function banner(payload) {
    const m = payload.message;
    const el = document.getElementById("hotline-banner");
    if (!el || !m) return;
    const link = document.createElement("a");
    link.href = root.dataset.messageUrl.replace("__code__", encodeURIComponent(m.code));
    link.textContent = m.code;
    const text = payload.kind === "sent"
      ? gettext("FLASH message from %(from)s to %(to)s:")
      : gettext("FLASH message escalated, now waiting on %(to)s:");
    el.replaceChildren(document.createTextNode(fmt(text, { from: m.from_post, to: m.current_to }) + " "), link);
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = gettext("Dismiss");
    close.addEventListener("click", () => { el.hidden = true; });
    el.append(" ", close);
    el.hidden = false;
  }

  function delivered(payload) {
    const m = payload.message;
    if (!m || !["sent", "escalated", "repeated"].includes(payload.kind) || !heldPosts().has(m.current_to)) return;
    const url = root.dataset.deliveredUrl.replace("__code__", encodeURIComponent(m.code));
    // Recorded once per post by the server; a refusal (post given up meanwhile) needs nothing from us.
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": root.dataset.csrf, "Content-Type": "application/json" }, body: "{}",
    }).catch(() => {});
  }

  function onEvent(ev) {
    let payload;
    try { payload = JSON.parse(ev.data); } catch (e) { return; }
    const m = payload.message;
    if (m && m.priority === "flash" && ["sent", "escalated", "repeated"].includes(payload.kind)
        && m.from_post !== undefined && !heldPosts().has(m.from_post)) {
      banner(payload);
    }
    delivered(payload);
    refresh();
  }

  function startPolling() {
    if (pollTimer) return;
    status(gettext("Not on duty at any post: the list is refreshed every 15 seconds."));
    pollTimer = setInterval(refresh, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  }

  function connect() {
    if (!window.EventSource) { startPolling(); return; }
    if (source) source.close();
    source = new EventSource(root.dataset.streamUrl);
    source.onopen = () => { stopPolling(); status(gettext("Live")); };
    source.onmessage = onEvent;
    source.addEventListener("resync", () => refresh());
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        // The server answered with an error (403: no post on duty): the browser will not retry.
        source = null;
        startPolling();
      } else {
        status(gettext("Reconnecting…"));
      }
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    readSkew(document);
    tick();
    setInterval(tick, 1000);
    if (!root) return;
    connect();
    // Going on or off duty changes which posts stream here: open the stream again.
    document.body.addEventListener("hotline-duty-changed", () => {
      const fresh = document.querySelectorAll("#hotline-posts li.is-on strong");
      root.dataset.posts = Array.from(fresh, (el) => el.textContent.trim()).join(" ");
      stopPolling();
      connect();
      refresh();
    });
    document.body.addEventListener("hotline-changed", refresh);
    document.body.addEventListener("htmx:afterSwap", (e) => {
      if (e.target && e.target.id === "hotline-inbox") { readSkew(e.target); tick(); }
    });
  });
})();
