"""`sulh hotline`: the hotline from a terminal, against a Sulh server anywhere (an API client, no Django).

    sulh hotline posts                                   the posts you hold, on or off duty
    sulh hotline duty POST on|off                        go on or off duty at a post
    sulh hotline inbox                                   what awaits your acknowledgement, with time left
    sulh hotline send --channel C --type T --priority P [options] BODY|-    send (BODY '-': read stdin)
    sulh hotline read CODE                               record that your post has read a message
    sulh hotline ack CODE [--reply TEXT]                 acknowledge (stops the escalation)
    sulh hotline resolve CODE [--note TEXT]              close an acknowledged message
    sulh hotline show CODE                               a message and everything that happened to it
                                                         (shown to its receiving post: recorded as read)
    sulh hotline tail [--channel C] [--since SEQ]        follow your posts' live events
    sulh hotline audit                                   (on the server) overdue deadlines; exit 1 if any

Configuration: --url / SULH_URL (the server's address, default http://127.0.0.1:8000) and --token /
SULH_TOKEN (an API token: POST /api/v1/auth/token, or `sulh token create USERNAME` on the server).

Exit status: 0 done; 1 refused (the server's 4xx answer, or a usage error: retrying the same command
will not help); 2 the server could not be reached or failed (5xx): retrying may help, and `send` prints
the Idempotency-Key that makes its retry safe. `audit` is the one subcommand that needs the database: it is
the management command sulh/hotline/management/commands/hotline.py, which sulh/cli.py routes to.

Written for a command post on a poor connection: standard library only, one request per action, every
time shown in the user's own zone and in UTC, and `tail` reconnects on its own without missing or
repeating an event (the stream's ids are the events' seq numbers; see docs/hotline.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import http.client
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo
from dataclasses import dataclass

DEFAULT_URL = "http://127.0.0.1:8000"
MESSAGE_TYPES = (
    "incident_notification", "restraint_request", "hold_fire_request", "clarification_request",
    "clarification_answer", "movement_notice", "medevac", "return_of_persons", "free_text",
)  # fmt: skip
PRIORITIES = ("flash", "immediate", "routine")
AWAITING = ("sent", "delivered", "read", "escalated")
BACKOFF_MAX_S = 30.0
STREAM_READ_TIMEOUT_S = (
    65.0  # the server sends a keep-alive comment every 20 s: silence this long is a dead link
)


class Refused(Exception):
    """The server answered 4xx: the request was understood and refused; nothing changed."""

    def __init__(self, status: int, detail: str, field: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field

    def __str__(self) -> str:
        return f"{self.detail} (field: {self.field})" if self.field else self.detail


class Unreachable(Exception):
    """No answer, a cut connection, or a server failure (5xx): whether a write happened is unknown."""


class UsageError(Exception):
    pass


@dataclass
class Answer:
    status: int
    headers: dict
    body: object
    server_now: dt.datetime


def _detail(status: int, raw: bytes) -> Refused:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return Refused(status, f"HTTP {status}: {raw[:300].decode('utf-8', 'replace').strip()}")
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, list):  # malformed input: a list of field errors
        parts = []
        for item in detail:
            loc = ".".join(str(x) for x in item.get("loc", []) if x not in ("body", "payload", "query"))
            parts.append(f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg", item)))
        return Refused(status, "; ".join(parts) or f"HTTP {status}")
    return Refused(
        status, str(detail or f"HTTP {status}"), body.get("field") if isinstance(body, dict) else None
    )


def _server_time(headers) -> dt.datetime:
    """The server's clock (its Date header): a command post's own clock may be wrong, and time left on a
    deadline is the server's to count."""
    try:
        return email.utils.parsedate_to_datetime(headers.get("Date"))
    except (TypeError, ValueError):
        return dt.datetime.now(dt.UTC)


class Client:
    def __init__(self, url: str, token: str, timeout: float = 30.0):
        root = url.rstrip("/")
        if root.endswith("/api/v1"):
            root = root[: -len("/api/v1")]
        if not root.startswith(("http://", "https://")):
            raise UsageError(
                f"--url {url!r}: give the server's address, e.g. https://sulh.example or {DEFAULT_URL}"
            )
        self.root, self.token, self.timeout = root, token, timeout
        self._tz: zoneinfo.ZoneInfo | None = None

    def _request(self, method: str, url: str, payload=None, headers: dict | None = None, timeout=None):
        data = (
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            if payload is not None
            else None
        )
        req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 -- the configured server
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            return urllib.request.urlopen(req, timeout=timeout or self.timeout)  # noqa: S310
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            if 400 <= exc.code < 500:
                raise _detail(exc.code, raw) from None
            raise Unreachable(
                f"the server failed (HTTP {exc.code}): {raw[:300].decode('utf-8', 'replace').strip()}"
            ) from None
        except urllib.error.URLError as exc:
            raise Unreachable(f"cannot reach {self.root}: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"cannot reach {self.root}: {type(exc).__name__}: {exc}") from None

    def call(self, method: str, path: str, payload=None, headers: dict | None = None) -> Answer:
        url = f"{self.root}/api/v1/{path.lstrip('/')}"
        resp = self._request(method, url, payload, headers)
        try:
            with resp:
                raw = resp.read()
                status, hdrs = resp.status, resp.headers
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(
                f"the connection to {self.root} broke while reading the answer: {exc}"
            ) from None
        body = json.loads(raw) if raw else None
        return Answer(status, hdrs, body, _server_time(hdrs))

    def stream(self, last_event_id: int | None):
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        return self._request(
            "GET", f"{self.root}/hotline/stream", headers=headers, timeout=STREAM_READ_TIMEOUT_S
        )

    def tz(self) -> zoneinfo.ZoneInfo:
        """The user's own zone (their account's, or their organisation's), asked once."""
        if self._tz is None:
            name = self.call("GET", "me").body.get("timezone") or "UTC"
            try:
                self._tz = zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                self._tz = zoneinfo.ZoneInfo("UTC")
        return self._tz


# --- formatting ----------------------------------------------------------------------------------------


def _parse(t: str | None) -> dt.datetime | None:
    if not t:
        return None
    return dt.datetime.fromisoformat(t.replace("Z", "+00:00"))


def local(t: str | dt.datetime | None, tz=None) -> str:
    """'2025-11-20 02:03:04 +04:30' from an ISO time (already local, or converted to `tz`)."""
    when = _parse(t) if isinstance(t, str) else t
    if when is None:
        return "-"
    if tz is not None:
        when = when.astimezone(tz)
    off = when.strftime("%z")
    return when.strftime("%Y-%m-%d %H:%M:%S") + (f" {off[:3]}:{off[3:]}" if off else "")


def utc(t: str | dt.datetime | None) -> str:
    when = _parse(t) if isinstance(t, str) else t
    return "-" if when is None else when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def span(seconds: float) -> str:
    s = int(abs(seconds))
    if s >= 86400:
        return f"{s // 86400} d {s % 86400 // 3600} h"
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60} min"
    if s >= 60:
        return f"{s // 60} min {s % 60} s"
    return f"{s} s"


def time_left(due: str | None, now: dt.datetime) -> str:
    when = _parse(due)
    if when is None:
        return "no deadline"
    left = (when - now).total_seconds()
    return f"{span(left)} left" if left >= 0 else f"OVERDUE by {span(left)}"


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _receipts(body: dict, out) -> None:
    rs = body.get("receipts") or []
    if rs:
        print("receipts (the log entries that prove the server stored this; keep them):", file=out)
        for r in rs:
            print(f"  leaf {r['leaf_index']}  {r['kind']}  {r['entry_hash']}", file=out)


def _q(ref: str) -> str:
    return urllib.parse.quote(ref, safe="")


# --- commands ------------------------------------------------------------------------------------------


def cmd_posts(c: Client, a, out) -> int:
    mine = c.call("GET", "hotline/posts/mine").body
    if a.json:
        print(json.dumps(mine, ensure_ascii=False, indent=2), file=out)
        return 0
    if not mine:
        print(
            "You hold no hotline post. An administrator, or a commander of your organisation, assigns them.",
            file=out,
        )
        return 0
    names = {p["code"]: p for p in c.call("GET", "hotline/posts").body}
    tz = c.tz()
    for row in sorted(mine, key=lambda r: r["post"]):
        p = names.get(row["post"], {})
        duty = "ON DUTY " if row["on_duty"] else "off duty"
        print(
            f"{row['post']:<14} {duty}  since {local(row['since'], tz)}  {p.get('level', ''):<10} {p.get('name', '')}",
            file=out,
        )
    return 0


def cmd_duty(c: Client, a, out) -> int:
    body = c.call("POST", f"hotline/posts/{_q(a.post)}/duty", {"on_duty": a.state == "on"}).body
    if a.json:
        print(json.dumps(body, ensure_ascii=False, indent=2), file=out)
        return 0
    print(
        f"{body['post']}: {'on duty' if body['on_duty'] else 'off duty'} since {local(body['since'], c.tz())}",
        file=out,
    )
    _receipts(body, out)
    return 0


def cmd_inbox(c: Client, a, out) -> int:
    ans = c.call("GET", "hotline/messages?box=inbox&limit=500")
    if a.json:
        print(json.dumps(ans.body, ensure_ascii=False, indent=2), file=out)
        return 0
    if not ans.body:
        print("Nothing awaits acknowledgement by a post you hold.", file=out)
        return 0
    print(
        f"{len(ans.body)} awaiting acknowledgement (server time {local(ans.server_now, c.tz())}):", file=out
    )
    for m in ans.body:
        print(
            f"{m['code']}  {m['priority'].upper():<9} {m['message_type']:<22} {m['channel']:<13} "
            f"{m['from_post']} -> {m['current_to']} (step {m['step']}, {m['state']})",
            file=out,
        )
        print(
            f"    acknowledge by {local(m['ack_due_at_local'])} ({utc(m['ack_due_at'])}): {time_left(m['ack_due_at'], ans.server_now)}",
            file=out,
        )
        print(f"    {one_line(m['body'])[:300]}", file=out)
    return 0


def _read_body(a) -> str:
    text = sys.stdin.read() if a.body == "-" else a.body
    if not text.strip():
        raise UsageError("the message is empty: give the text, or '-' to read it from standard input")
    return text


def _when(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--{name} {text!r}: give an ISO 8601 time with its zone, e.g. 2025-11-21T06:00+04:30"
        ) from None
    if t.tzinfo is None:
        raise UsageError(
            f"--{name} {text!r}: say which zone, e.g. {text}+04:30 (Afghanistan) or {text}+05:00 (Pakistan)"
        )
    return t.isoformat()


def cmd_send(c: Client, a, out) -> int:
    if (a.lat is None) != (a.lon is None):
        raise UsageError("give both --lat and --lon, or neither")
    payload = {
        "channel": a.channel, "message_type": a.type, "priority": a.priority, "body": _read_body(a),
        "from_post": a.from_post, "incident": a.incident, "latitude": a.lat, "longitude": a.lon,
        "starts_at": _when(a.starts_at, "starts-at"), "ends_at": _when(a.ends_at, "ends-at"),
        "restricted": a.restricted, "corrects": a.corrects, "reply_to": a.reply_to,
    }  # fmt: skip
    payload = {k: v for k, v in payload.items() if v is not None}
    key = a.idempotency_key or secrets.token_urlsafe(18)
    # Printed before sending: if the connection drops, the same command with this key cannot send twice.
    print(f"Idempotency-Key: {key}", file=sys.stderr)
    try:
        ans = c.call("POST", "hotline/messages", payload, headers={"Idempotency-Key": key})
    except Unreachable as exc:
        raise Unreachable(
            f"{exc}\nWhether the message was stored is unknown. Run the same command again with "
            f"--idempotency-key {key}: it is sent at most once."
        ) from None
    m = ans.body
    if a.json:
        print(json.dumps(m, ensure_ascii=False, indent=2), file=out)
        return 0
    if ans.headers.get("Idempotent-Replayed") == "true":
        print(
            "Already sent with this key: this is the server's answer from then (nothing was sent again).",
            file=out,
        )
    print(
        f"{m['code']}  sent on {m['channel']} from {m['from_post']} to {m['to_post']} ({m['message_type']}, {m['priority']})",
        file=out,
    )
    print(f"sent at    {local(m['sent_at_local'])}  ({utc(m['sent_at'])})", file=out)
    print(
        f"ack due    {local(m['ack_due_at_local'])}  ({utc(m['ack_due_at'])}), {time_left(m['ack_due_at'], ans.server_now)}",
        file=out,
    )
    ladder = " -> ".join(s["to"] for s in m["ladder"])
    print(f"if nobody acknowledges, it climbs: {ladder}", file=out)
    _receipts(m, out)
    return 0


def _state_change(c: Client, a, out, action: str, payload: dict | None) -> int:
    m = c.call("POST", f"hotline/messages/{_q(a.code)}/{action}", payload).body
    if a.json:
        print(json.dumps(m, ensure_ascii=False, indent=2), file=out)
        return 0
    print(f"{m['code']}: {m['state']}", file=out)
    if action == "acknowledge" and m.get("acknowledged_at"):
        print(
            f"acknowledged at {local(m['acknowledged_at'], c.tz())} ({utc(m['acknowledged_at'])}) by {m['acknowledged_by']}",
            file=out,
        )
    _receipts(m, out)
    return 0


def cmd_read(c, a, out) -> int:
    return _state_change(c, a, out, "read", None)


def cmd_ack(c, a, out) -> int:
    return _state_change(c, a, out, "acknowledge", {"reply": a.reply or ""})


def cmd_resolve(c, a, out) -> int:
    return _state_change(c, a, out, "resolve", {"note": a.note or ""})


def _event_summary(e: dict) -> str:
    d = e.get("detail") or {}
    bits = []
    for k in ("to", "channel", "reply", "note", "corrected_by", "by_answer", "implied_by", "met_with"):
        if d.get(k):
            bits.append(f"{k}={one_line(str(d[k]))[:120]}")
    if d.get("late"):
        bits.append("LATE")
    if d.get("deadline") and e["kind"] in ("escalated", "repeated", "expired"):
        bits.append(f"deadline missed {utc(d['deadline'])}")
    if d.get("ack_due_at"):
        bits.append(f"ack due {utc(d['ack_due_at'])}")
    return "  ".join(bits)


def cmd_show(c: Client, a, out) -> int:
    ans = c.call("GET", f"hotline/messages/{_q(a.code)}")
    m = ans.body
    if m["state"] in AWAITING and {s["to"] for s in m["ladder"][: m["step"] + 1]} & _held(c):
        # Shown to a holder of a receiving post: it has been read, as when its page opens in the console.
        ans = c.call("POST", f"hotline/messages/{_q(a.code)}/read")
        m = ans.body
    events = c.call("GET", f"hotline/messages/{_q(a.code)}/events").body
    if a.json:
        print(json.dumps({"message": m, "events": events}, ensure_ascii=False, indent=2), file=out)
        return 0
    flags = " RESTRICTED" if m["restricted"] else ""
    print(f"{m['code']}  {m['message_type']}  {m['priority'].upper()}{flags}", file=out)
    print(f"channel    {m['channel']}: {m['from_post']} -> {m['to_post']}", file=out)
    print(f"sent       {local(m['sent_at_local'])}  ({utc(m['sent_at'])})  by {m['sent_by']}", file=out)
    state = m["state"]
    if state in AWAITING:
        state += (
            f", step {m['step']} of {len(m['ladder']) - 1}: {m['current_to']} must acknowledge by "
            f"{local(m['ack_due_at_local'])} ({utc(m['ack_due_at'])}), {time_left(m['ack_due_at'], ans.server_now)}"
        )
    elif m.get("acknowledged_at"):
        state += f" (acknowledged {local(m['acknowledged_at'], c.tz())} ({utc(m['acknowledged_at'])}) by {m['acknowledged_by']})"
    print(f"state      {state}", file=out)
    for label, key in (("incident", "incident"), ("corrects", "corrects"), ("reply to", "reply_to")):
        if m.get(key):
            print(f"{label:<10} {m[key]}", file=out)
    if m.get("latitude") is not None:
        print(f"location   {m['latitude']}, {m['longitude']}", file=out)
    if m.get("starts_at"):
        print(f"movement   {local(m['starts_at'], c.tz())} to {local(m['ends_at'], c.tz())}", file=out)
    print("body", file=out)
    for line in (m["body"] or "").splitlines() or [""]:
        print(f"  {line}", file=out)
    print("ladder (who must acknowledge at each step; who is told)", file=out)
    for i, s in enumerate(m["ladder"]):
        mark = ">" if i == m["step"] and m["state"] in AWAITING else " "
        extra = " (sent again)" if s.get("repeat") else ""
        print(
            f" {mark}{i}  {s['level']:<10} {s.get('channel') or '-':<13} to {s['to']:<12} told {', '.join(s['informed'])}  within {span(s['ack_within_s'])}{extra}",
            file=out,
        )
    print("timeline (seq = the event's entry in the log)", file=out)
    for e in events:
        who = " ".join(x for x in (e.get("post"), f"({e['actor']})" if e.get("actor") else None) if x)
        print(
            f"  {e['seq']:>7}  {local(e.get('at_local') or e['at'])}  ({utc(e['at'])})  {e['kind']:<12} {who}  {_event_summary(e)}".rstrip(),
            file=out,
        )
    return 0


# --- tail: the live stream -----------------------------------------------------------------------------


@dataclass
class Frame:
    id: str | None
    event: str | None
    data: str | None


def sse_frames(lines):
    """Server-Sent Events frames from an iterable of byte lines (the text/event-stream framing)."""
    fid = event = None
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line == "":
            if data or fid is not None or event is not None:
                yield Frame(fid, event, "\n".join(data) if data else None)
            fid = event = None
            data = []
            continue
        if line.startswith(":"):
            continue  # a comment: the keep-alive
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            fid = value
        elif name == "data":
            data.append(value)
        elif name == "event":
            event = value


def format_event(e: dict) -> str:
    """One line: seq, local time, kind, message code, channel, from->to, priority, body (or the task)."""
    when = local(e.get("at_local") or e.get("at"))
    head = f"{e['seq']:>7}  {when}  {e['kind']:<13}"
    m = e.get("message")
    d = e.get("detail") or {}
    if m is not None:
        if e["kind"] in ("sent", "escalated", "repeated") and d.get("to"):
            route = f"{m['from_post']}->{d['to']}"
        elif e["kind"] in ("delivered", "read", "acknowledged", "resolved") and e.get("post"):
            route = f"{m['from_post']}->{m['to_post']} by {e['post']}"
        else:
            route = f"{m['from_post']}->{m['to_post']}"
        channel = d.get("channel") or m["channel"]
        extra = f" [reply: {one_line(d['reply'])}]" if d.get("reply") else ""
        return f"{head} {m['code']}  {channel}  {route}  {m['priority']}  {one_line(m['body'])}{extra}"
    return (
        f"{head} {d.get('protocol', '?')}/{d.get('step', '?')}  {d.get('party', '')}  {e.get('post') or '-'}  "
        f"due {utc(d.get('due_at'))}  {d.get('name', '')}"
    )


def _matches(e: dict, channel: str | None) -> bool:
    if channel is None:
        return True
    m = e.get("message")
    return m is not None and channel in (m["channel"], (e.get("detail") or {}).get("channel"))


def _on_duty(c: Client) -> set[str]:
    return {r["post"] for r in c.call("GET", "hotline/posts/mine").body if r["on_duty"]}


def _held(c: Client) -> set[str]:
    return {r["post"] for r in c.call("GET", "hotline/posts/mine").body}


def _mark_delivered(c: Client, e: dict, mine: set[str], done: set[tuple[str, str]], err) -> None:
    """This device has the message: tell the server, for each post of ours it is addressed to (once)."""
    m = e.get("message")
    if m is None or e["kind"] not in ("sent", "escalated", "repeated") or m["state"] not in AWAITING:
        return
    to = (e.get("detail") or {}).get("to") or m["to_post"]
    if to not in mine or (m["code"], to) in done:
        return
    try:
        c.call("POST", f"hotline/messages/{_q(m['code'])}/delivered")
        done.add((m["code"], to))
    except (Refused, Unreachable) as exc:
        print(f"sulh hotline tail: could not record {m['code']} as delivered: {exc}", file=err)


def cmd_tail(c: Client, a, out, err=sys.stderr, sleep=time.sleep) -> int:
    last: int | None = a.since
    mine = _on_duty(c)
    if not mine:
        raise Refused(
            403,
            "you hold no hotline post on duty, so there is nothing to follow (`sulh hotline duty POST on`)",
        )
    done: set[tuple[str, str]] = set()
    printed = 0
    backoff = 1.0
    connected_once = False
    while True:
        try:
            resp = c.stream(last)
            if connected_once:
                print(f"sulh hotline tail: reconnected, resuming after event {last}", file=err, flush=True)
                mine = _on_duty(c)
            connected_once = True
            backoff = 1.0
            with resp:
                for f in sse_frames(resp):
                    if f.event == "resync":
                        print("sulh hotline tail: the server has no event numbered as high as ours (a restored "
                              "database?); following from its newest. Check `sulh hotline inbox`.", file=err, flush=True)  # fmt: skip
                        last = None
                        continue
                    if f.id is None:
                        continue
                    seq = int(f.id)
                    if f.data is None:  # the server's cursor: where this stream starts
                        last = seq if last is None else max(last, seq)
                        continue
                    if last is not None and seq <= last:
                        continue  # never print an event twice
                    e = json.loads(f.data)
                    last = seq
                    if not _matches(e, a.channel):
                        continue
                    print(
                        json.dumps(e, ensure_ascii=False) if a.json else format_event(e), file=out, flush=True
                    )
                    _mark_delivered(c, e, mine, done, err)
                    printed += 1
                    if a.count and printed >= a.count:
                        return 0
            raise Unreachable("the server closed the stream")
        except Unreachable as exc:
            reason = str(exc)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        where = f"after event {last}" if last is not None else "from the newest event"
        print(
            f"sulh hotline tail: connection lost ({reason}); reconnecting in {backoff:.0f} s, {where}",
            file=err,
            flush=True,
        )
        sleep(backoff)
        backoff = min(BACKOFF_MAX_S, backoff * 2)


# --- the command line ----------------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    def error(self, message):  # a usage error is a refusal (1); 2 means "retry may help"
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


_Parser = Parser


def client_parser(prog: str, description: str, epilog: str) -> Parser:
    """The parser of one of Sulh's terminal clients (`sulh hotline`, `sulh mediator`, `sulh doc`, `sulh
    intel`), with the server options they share: --url, --token, --timeout."""
    p = Parser(prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog=epilog)  # fmt: skip
    p.add_argument(
        "--url", default=os.environ.get("SULH_URL") or DEFAULT_URL, help="server address (or SULH_URL)"
    )
    p.add_argument("--token", default=os.environ.get("SULH_TOKEN"), help="API token (or SULH_TOKEN)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an answer (default 30)")
    return p


def build_parser() -> argparse.ArgumentParser:
    p = client_parser("sulh hotline", "The hotline between commanders, from a terminal.",
                      "Exit status: 0 done, 1 refused (the server's reason is printed), 2 not reached or server failure.")  # fmt: skip
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)

    def sp(name, help):
        s = sub.add_parser(name, help=help, description=help)
        s.add_argument("--json", action="store_true", help="print the server's JSON answer")
        return s

    sp("posts", "the posts you hold, on or off duty")
    s = sp("duty", "go on or off duty at a post you hold")
    s.add_argument("post")
    s.add_argument("state", choices=["on", "off"])
    sp("inbox", "messages awaiting acknowledgement by a post you hold, with the time left")
    s = sp("send", "send a message to the other end of a channel")
    s.add_argument("--channel", required=True, help="channel code, e.g. S2-CHAMAN")
    s.add_argument(
        "--type", required=True, choices=MESSAGE_TYPES, metavar="TYPE", help=", ".join(MESSAGE_TYPES)
    )
    s.add_argument("--priority", required=True, choices=PRIORITIES)
    s.add_argument("--from-post", help="your end of the channel (only if you hold both)")
    s.add_argument("--incident", help="incident code (incident notifications)")
    s.add_argument("--lat", type=float, help="latitude (WGS 84)")
    s.add_argument("--lon", type=float, help="longitude (WGS 84)")
    s.add_argument(
        "--restricted", action="store_true", help="only the posts on the line and the mediators may read it"
    )
    s.add_argument("--corrects", metavar="CODE", help="an earlier message of yours that this one corrects")
    s.add_argument("--reply-to", metavar="CODE", help="the message this answers")
    s.add_argument("--starts-at", help="movement notices: start, ISO 8601 with zone (2025-11-21T06:00+04:30)")
    s.add_argument("--ends-at", help="movement notices: end")
    s.add_argument(
        "--idempotency-key", help="the key printed by an earlier attempt: retrying with it cannot send twice"
    )
    s.add_argument("body", help="the text, or '-' to read it from standard input")
    s = sp("read", "record that your post has read a message")
    s.add_argument("code")
    s = sp("ack", "acknowledge a message for your post (stops its escalation)")
    s.add_argument("code")
    s.add_argument("--reply", help="an optional reply, kept with the acknowledgement")
    s = sp("resolve", "close an acknowledged message")
    s.add_argument("code")
    s.add_argument("--note", help="why it is closed")
    s = sp("show", "a message and its timeline, in your zone and in UTC (to its receiving post: read)")
    s.add_argument("code")
    s = sub.add_parser("tail", help="follow your posts' events live (reconnects by itself)")
    s.add_argument("--channel", help="only this channel's messages (filtered here)")
    s.add_argument(
        "--since", type=int, metavar="SEQ", help="start after this event number (replays what came after it)"
    )
    s.add_argument(
        "--json", action="store_true", help="print each event as the server sent it (one JSON per line)"
    )
    s.add_argument("--count", type=int, default=0, help="stop after this many events (default: never)")
    sub.add_parser(
        "audit",
        help="on the server: overdue deadlines and messages awaiting acknowledgement (exit 1 if overdue)",
    )
    return p


COMMANDS = {
    "posts": cmd_posts, "duty": cmd_duty, "inbox": cmd_inbox, "send": cmd_send, "read": cmd_read,
    "ack": cmd_ack, "resolve": cmd_resolve, "show": cmd_show, "tail": cmd_tail,
}  # fmt: skip


def main(argv: list[str]) -> int:
    if argv[:1] == ["audit"]:  # normally routed by sulh/cli.py before this; kept for `python -m`
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(["sulh", "hotline", *argv])
        return 0
    a = build_parser().parse_args(argv)
    return run("sulh hotline", a, lambda client: COMMANDS[a.cmd](client, a, sys.stdout))


def run(prog: str, a, action, *, failures: tuple[tuple[type[Exception], str], ...] = (), offline=None) -> int:
    """Connect with `a.url`/`a.token` and run `action(client)`, turning errors into exit statuses: 1 for a
    refusal or a misuse (and for each of `failures`, printed with its prefix), 2 when the server cannot be
    reached or fails (a retry may help). `offline()`, if given, runs instead with no server at all (a local
    command such as `sulh mediator keygen`). Shared by `sulh hotline` and `sulh mediator`."""
    try:
        if offline is not None:
            return offline()
        if not a.token:
            raise UsageError("no API token: give --token or set SULH_TOKEN (POST /api/v1/auth/token, or "
                             "`sulh token create USERNAME` on the server)")  # fmt: skip
        return action(Client(a.url, a.token, a.timeout))
    except UsageError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    except Refused as exc:
        print(f"{prog}: refused (HTTP {exc.status}): {exc}", file=sys.stderr)
        return 1
    except Unreachable as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        for kind, prefix in failures:
            if isinstance(exc, kind):
                print(f"{prog}: {prefix}{exc}", file=sys.stderr)
                return 1
        raise

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
