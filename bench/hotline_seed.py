"""Django-side steps of the hotline benchmark, run as a subprocess in the scratch environment (never in the
benchmark's own process, which stays standard library only):

    python -m bench.hotline_seed setup --listeners N --senders S    users holding posts, with API tokens
    python -m bench.hotline_seed latest                             the newest event seq
    python -m bench.hotline_seed audience --after SEQ               each post's event seqs after SEQ
    python -m bench.hotline_seed escalate --count N --start-in S --spread W --ack-within A
    python -m bench.hotline_seed escalations --ids-file PATH        what the deadline runner did with them

Each prints one JSON object on its last line of stdout.
"""

import argparse
import datetime as dt
import json
import os
import sys

# Listener posts: the two ends of sector channel S2-CHAMAN and the mediators' cell, which is the whole audience
# of a message sent on that channel (and of every step of its ladder), so every listener receives every event.
# post -> (organisation, role) of its holders; listeners are dealt round-robin over them.
LISTENER_POSTS = [("PAK-S2", "PAK", "commander"), ("AFG-S2", "AFG", "commander"), ("MED-CELL", "QAT", "verifier")]
SENDER_POST = ("AFG-S2", "AFG", "liaison_officer")
CHANNEL = "S2-CHAMAN"
ADMIN = "bench_admin"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    import django

    django.setup()


def setup(listeners: int, senders: int) -> dict:
    from django.db import transaction

    from sulh.accounts.models import ApiToken, Organisation, Role, User
    from sulh.accounts.services import sync_organisations
    from sulh.charter.loader import get_charter
    from sulh.hotline import services

    charter = get_charter()
    sync_organisations(charter)
    services.sync(charter)
    orgs = {o.code: o for o in Organisation.objects.all()}
    admin, _ = User.objects.get_or_create(username=ADMIN, defaults={"organisation": orgs["OPS"], "role": Role.ADMINISTRATOR})

    def make(username: str, org: str, role: str, post: str) -> dict:
        user = User(username=username, organisation=orgs[org], role=role)
        user.set_unusable_password()  # benchmark users sign in with API tokens only
        user.save()
        # The real path (permission checks, the ledger entry of the assignment).
        services.assign_holder(admin, post, user)
        _, key = ApiToken.issue(user, "bench")
        return {"username": username, "post": post, "token": key, "timezone": user.effective_timezone}

    out = {"listeners": [], "senders": [], "channel": CHANNEL}
    with transaction.atomic():
        for i in range(listeners):
            post, org, role = LISTENER_POSTS[i % len(LISTENER_POSTS)]
            out["listeners"].append(make(f"listener{i:04d}", org, role, post))
        for i in range(senders):
            post, org, role = SENDER_POST
            out["senders"].append(make(f"sender{i:02d}", org, role, post))
    out["latest"] = services.latest_seq()
    return out


def latest() -> dict:
    from sulh.hotline import services

    return {"latest": services.latest_seq()}


def audience(after: int) -> dict:
    from sulh.hotline.models import EventAudience

    out: dict[str, list[int]] = {}
    rows = EventAudience.objects.filter(seq__gt=after).order_by("seq").values_list("post__code", "seq")
    for code, seq in rows.iterator(chunk_size=10000):
        out.setdefault(code, []).append(seq)
    return {"after": after, "posts": out}


def escalate(count: int, start_in: float, spread: float, ack_within: int) -> dict:
    """Make the acknowledgement deadlines of the `count` newest unanswered benchmark messages fall due over
    `spread` seconds starting `start_in` seconds from now, and every later step of their ladders `ack_within`
    seconds after the step before. The clock is not ours to move; the stored rows and the ladder snapshot are
    (what the charter's `ack:` section would give with durations of seconds)."""
    from django.db import transaction
    from django.utils import timezone

    from sulh.deadlines.models import Deadline, DeadlineState
    from sulh.hotline.models import Message, MessageState
    from sulh.hotline.services import ACK_DEADLINE

    with transaction.atomic():
        msgs = list(
            Message.objects.select_for_update()
            .filter(state=MessageState.SENT, step=0, channel__code=CHANNEL)
            .order_by("-sent_at")[:count]
        )
        if len(msgs) < count:
            raise SystemExit(f"only {len(msgs)} unanswered benchmark messages, {count} asked")
        msgs.reverse()
        t0 = timezone.now() + dt.timedelta(seconds=start_in)
        ids, steps = [], None
        for i, m in enumerate(msgs):
            due = t0 + dt.timedelta(seconds=spread * i / count)
            m.ladder = [{**s, "ack_within_s": ack_within} for s in m.ladder]
            m.ack_due_at = due
            m.save(update_fields=["ladder", "ack_due_at"])
            n = Deadline.objects.filter(
                kind=ACK_DEADLINE, subject=str(m.pk), step=0, state=DeadlineState.PENDING
            ).update(due_at=due, run_at=due)
            if n != 1:
                raise SystemExit(f"message {m.code}: {n} pending step-0 deadlines, expected 1")
            ids.append(str(m.pk))
            steps = len(m.ladder)
    return {"ids": ids, "first_due": t0.isoformat(), "steps": steps,
            "last_due": (t0 + dt.timedelta(seconds=spread)).isoformat()}  # fmt: skip


def escalations(ids_file: str) -> dict:
    """Lateness of every deadline of these messages (fired_at - due_at), and whether each step of each
    ladder fired exactly once: one fired deadline per (message, step), one escalated/repeated event per step
    above 0, one expiry at the top, nothing pending or failed."""
    from collections import Counter

    from sulh.deadlines.models import Deadline
    from sulh.hotline.models import Event, Message
    from sulh.hotline.services import ACK_DEADLINE

    with open(ids_file, encoding="utf-8") as f:
        ids = json.load(f)
    ladders = dict(Message.objects.filter(pk__in=ids).values_list("pk", "ladder"))
    rows = list(
        Deadline.objects.filter(kind=ACK_DEADLINE, subject__in=ids).values_list(
            "subject", "step", "state", "due_at", "fired_at", "fired_by", "attempts"
        )
    )
    lateness, per_step, states, fired_by, attempts = [], Counter(), Counter(), Counter(), 0
    last_fired = None
    for subject, step, state, due_at, fired_at, by, att in rows:
        states[state] += 1
        attempts += att
        if state == "fired":
            lateness.append((fired_at - due_at).total_seconds())
            per_step[(subject, step)] += 1
            fired_by[by] += 1
            last_fired = fired_at if last_fired is None or fired_at > last_fired else last_fired
    events = Counter(
        (str(m), k, s) for m, k, s in Event.objects.filter(message_id__in=ids, kind__in=["escalated", "repeated", "expired"])
        .values_list("message_id", "kind", "step")
    )  # fmt: skip
    missing = duplicated = 0
    for mid, ladder in ladders.items():
        mid = str(mid)
        n = len(ladder)
        for step in range(n):  # one fired deadline per step (the last one expires the message)
            c = per_step.get((mid, step), 0)
            missing += c == 0
            duplicated += max(0, c - 1)
        expected = [("repeated" if ladder[s].get("repeat") else "escalated", s) for s in range(1, n)]
        expected.append(("expired", n - 1))
        for kind, step in expected:
            c = events.get((mid, kind, step), 0)
            missing += c == 0
            duplicated += max(0, c - 1)
    extra_events = sum(events.values()) - sum(len(ladder) for ladder in ladders.values())
    return {
        "messages": len(ladders), "deadlines": len(rows), "states": dict(states), "lateness_s": lateness,
        "fired_by": dict(fired_by), "attempts": attempts, "missing": missing, "duplicated": duplicated,
        "extra_events": extra_events, "last_fired": last_fired.isoformat() if last_fired else None,
    }  # fmt: skip


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hotline_seed")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--listeners", type=int, required=True)
    s.add_argument("--senders", type=int, required=True)
    sub.add_parser("latest")
    a = sub.add_parser("audience")
    a.add_argument("--after", type=int, required=True)
    e = sub.add_parser("escalate")
    e.add_argument("--count", type=int, required=True)
    e.add_argument("--start-in", type=float, required=True)
    e.add_argument("--spread", type=float, required=True)
    e.add_argument("--ack-within", type=int, required=True)
    r = sub.add_parser("escalations")
    r.add_argument("--ids-file", required=True)
    args = p.parse_args(argv)
    _setup_django()
    if args.cmd == "setup":
        out = setup(args.listeners, args.senders)
    elif args.cmd == "latest":
        out = latest()
    elif args.cmd == "audience":
        out = audience(args.after)
    elif args.cmd == "escalate":
        out = escalate(args.count, args.start_in, args.spread, args.ack_within)
    else:
        out = escalations(args.ids_file)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
