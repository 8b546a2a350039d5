// Check a log entry in this browser: its hash, its RFC 9162 inclusion proof against the newest witnessed
// checkpoint, the log's Ed25519 signature and the witnesses' cosignatures (C2SP signed-note, tlog-cosignature).
//
// Written by hand: it is ~150 lines over WebCrypto (SHA-256, Ed25519), and no npm package does exactly
// RFC 9162 + C2SP notes without pulling a crypto library we would then have to ship and trust as well.
// A malicious server could serve a malicious script: this check is a convenience; the binding check is
// `sulh log verify` or an offline tlog-proof on your own machine (docs/ledger.md).
(function () {
  "use strict";
  const enc = new TextEncoder();
  // Django's JavaScript catalogue (/jsi18n/) supplies gettext/interpolate; English if it did not load.
  // Call sites spell gettext("…") literally so that `makemessages -d djangojs` finds the strings.
  const gettext = window.gettext || ((t) => t);
  const fmt = (t, obj) => t.replace(/%\((\w+)\)s/g, (m, k) => obj[k]);
  const subtle = window.crypto && window.crypto.subtle;

  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const hex = (a) => Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let i = 0;
    for (const p of parts) { out.set(p, i); i += p.length; }
    return out;
  };
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const sha256 = async (bytes) => new Uint8Array(await subtle.digest("SHA-256", bytes));
  const node = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  // RFC 9162 §2.1.3.2: the root an inclusion proof leads to.
  async function rootFromInclusion(leaf, index, size, proof) {
    if (index >= size) throw new Error("index beyond the tree");
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Error("proof too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await node(p, r);
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = await node(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("proof too short");
    return r;
  }

  // C2SP signed-note verifier key: name+hex(keyid)+base64(type || public key).
  function parseKey(vkey) {
    const i = vkey.indexOf("+"), j = vkey.indexOf("+", i + 1);
    const raw = b64(vkey.slice(j + 1));
    return { name: vkey.slice(0, i), keyId: vkey.slice(i + 1, j), type: raw[0], pub: raw.slice(1) };
  }

  function splitNote(note) {
    const at = note.lastIndexOf("\n\n");
    const text = note.slice(0, at + 1);
    const sigs = note.slice(at + 2).split("\n").filter((l) => l.startsWith("\u2014 ")).map((l) => {
      const [name, sig] = l.slice(2).split(" ");
      const raw = b64(sig);
      return { name, keyId: hex(raw.slice(0, 4)), sig: raw.slice(4) };
    });
    return { text, sigs };
  }

  async function ed25519(pub, sig, message) {
    const key = await subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return subtle.verify({ name: "Ed25519" }, key, sig, message);
  }

  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) {
      let detail = r.statusText;
      try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
      const err = new Error(detail); err.status = r.status; throw err;
    }
    return r.json();
  }

  async function verify(index, expectedHash) {
    const checks = [];
    const ok = (t) => checks.push(["✓", t]);
    const bad = (t) => checks.push(["✗", t]);
    if (!subtle) return [["✗", gettext("this browser offers no WebCrypto here (an https:// or localhost page is needed)")]];
    let cp;
    try {
      cp = await getJSON("/api/v1/ledger/checkpoint?witnessed=true");
    } catch (e) {
      if (e.status !== 404) throw e;
      cp = await getJSON("/api/v1/ledger/checkpoint");
      bad(gettext("no witnessed checkpoint yet: checking against the newest, signed by the log alone"));
    }
    if (index >= cp.size) {
      return [["…", fmt(gettext("entry #%(index)s is newer than checkpoint %(size)s: try again after the next checkpoint"), { index, size: cp.size })]];
    }
    const [entry] = await getJSON(`/api/v1/ledger/entries?start=${index}&end=${index + 1}`);
    const leaf = await sha256(concat(Uint8Array.of(0), enc.encode(entry.body)));
    (hex(leaf) === expectedHash ? ok : bad)(fmt(gettext("entry hash %(hash)s… recomputed from the entry"), { hash: hex(leaf).slice(0, 12) }));
    const proof = await getJSON(`/api/v1/ledger/proof/inclusion?index=${index}&size=${cp.size}`);
    const root = await rootFromInclusion(leaf, index, cp.size, proof.proof.map(b64));
    const { text, sigs } = splitNote(cp.note);
    const lines = text.split("\n");
    const signedRoot = b64(lines[2]);
    (equal(root, signedRoot) && Number(lines[1]) === cp.size ? ok : bad)(
      fmt(gettext("inclusion proof (%(n)s hashes) leads to the root of checkpoint %(size)s"), { n: proof.proof.length, size: cp.size }));
    const keys = await getJSON("/api/v1/ledger/keys");
    const logKey = parseKey(keys.log);
    const logSig = sigs.find((s) => s.name === logKey.name && s.keyId === logKey.keyId);
    try {
      (logSig && await ed25519(logKey.pub, logSig.sig, enc.encode(text)) ? ok : bad)(
        fmt(gettext("checkpoint signed by the log (%(name)s)"), { name: logKey.name }));
      for (const [org, vkey] of Object.entries(keys.witnesses)) {
        const k = parseKey(vkey);
        const s = sigs.find((x) => x.name === k.name && x.keyId === k.keyId);
        if (!s) { checks.push(["–", fmt(gettext("%(org)s has not cosigned this checkpoint"), { org })]); continue; }
        const ts = new DataView(s.sig.buffer, s.sig.byteOffset, 8).getBigUint64(0);
        const message = enc.encode(`cosignature/v1\ntime ${ts}\n${text}`);
        (await ed25519(k.pub, s.sig.slice(8), message) ? ok : bad)(
          fmt(gettext("cosigned by %(org)s at %(time)s UTC"), { org, time: new Date(Number(ts) * 1000).toISOString().slice(0, 16).replace("T", " ") }));
      }
    } catch (e) {
      bad(fmt(gettext("this browser cannot check Ed25519 signatures (%(error)s): use sulh log verify"), { error: e.message }));
    }
    return checks;
  }

  document.addEventListener("click", async (ev) => {
    const button = ev.target.closest("[data-ledger-verify]");
    if (!button) return;
    const out = button.parentElement.querySelector(".ledger-result");
    out.textContent = "…";
    button.disabled = true;
    try {
      const checks = await verify(Number(button.dataset.ledgerVerify), button.dataset.entryHash);
      out.replaceChildren(...checks.map(([mark, text]) => {
        const li = document.createElement("div");
        li.className = mark === "✓" ? "ok" : mark === "✗" ? "fail" : "muted";
        li.textContent = `${mark} ${text}`;
        return li;
      }));
    } catch (e) {
      out.textContent = `✗ ${e.message}`;
      out.className = "ledger-result fail";
    } finally {
      button.disabled = false;
    }
  });
})();
