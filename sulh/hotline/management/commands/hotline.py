"""`sulh hotline audit`: on the server, what should have happened and has not (for a duty officer or cron).

The other `sulh hotline …` subcommands are an API client that needs no database (sulh/hotline/cli.py);
sulh/cli.py sends only `audit` here, because it reads the stored deadlines themselves.

It lists pending deadlines more than --grace seconds past due (the runner is not running, or is stuck) and
FAILED ones (their handler kept failing), messages awaiting acknowledgement with their ladder step, and any
awaiting message that has no live deadline (it could never escalate). Exit status 1 when any of those
problems exists, 0 otherwise: `sulh hotline audit || alert` in cron. Times are UTC."""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from sulh.deadlines import services as deadlines
from sulh.deadlines.models import Deadline, DeadlineState
from sulh.hotline.cli import span
from sulh.hotline.models import AWAITING, Message
from sulh.hotline.services import ACK_DEADLINE


def _z(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _subject(d: Deadline) -> str:
    """What a deadline is about, in the mechanism's words."""
    if d.kind == ACK_DEADLINE:
        m = Message.objects.filter(pk=d.subject).select_related("channel").first()
        if m is None:
            return f"message {d.subject} (missing)"
        to = m.ladder[d.step]["to"] if d.step < len(m.ladder) else "?"
        return f"{m.code} on {m.channel.code}, step {d.step} (to {to}), {m.state}"
    if d.kind.startswith("protocols."):
        from sulh.protocols.models import Task

        t = Task.objects.filter(pk=d.subject).select_related("run").first()
        if t is None:
            return f"task {d.subject} (missing)"
        return f"{t.run.protocol}/{t.step} for {t.party}, {t.state}"
    return d.subject


class Command(BaseCommand):
    help = "Audit the hotline's stored deadlines: overdue, failed, and messages awaiting acknowledgement."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        a = sub.add_parser(
            "audit", help="overdue and failed deadlines, messages awaiting acknowledgement; exit 1 if overdue"
        )
        a.add_argument(
            "--grace",
            type=float,
            default=5.0,
            help="seconds past due before a pending deadline counts as overdue (default 5)",
        )
        a.add_argument("--json", action="store_true", dest="as_json", help="print the findings as JSON")

    def handle(self, *args, action, grace, as_json, **options):
        code = self.audit(grace, as_json=as_json)
        if code:
            sys.exit(code)

    def audit(self, grace: float, *, as_json: bool = False) -> int:
        now = timezone.now()
        late = deadlines.overdue(grace)
        awaiting = list(
            Message.objects.filter(state__in=AWAITING).select_related("channel").order_by("ack_due_at")
        )  # fmt: skip
        live = set(
            Deadline.objects.filter(kind=ACK_DEADLINE, state__in=[DeadlineState.PENDING, DeadlineState.FAILED])
            .values_list("subject", "step")
        )  # fmt: skip
        untimed = [m for m in awaiting if (str(m.pk), m.step) not in live]
        newest = Deadline.objects.filter(state=DeadlineState.FIRED).order_by("-fired_at").first()
        problems = len(late) + len(untimed)
        if as_json:
            self.stdout.write(_json({
                "now": _z(now), "grace_s": grace, "problems": problems,
                "overdue": [
                    {"kind": d.kind, "subject": d.subject, "about": _subject(d), "step": d.step, "state": d.state,
                     "due_at": _z(d.due_at), "late_s": round((now - d.due_at).total_seconds(), 1),
                     "attempts": d.attempts, "last_error": d.last_error}
                    for d in late
                ],
                "awaiting": [
                    {"code": m.code, "channel": m.channel.code, "state": m.state, "step": m.step,
                     "steps": len(m.ladder), "to": m.ladder[m.step]["to"], "ack_due_at": _z(m.ack_due_at),
                     "has_deadline": (str(m.pk), m.step) in live}
                    for m in awaiting
                ],
                "last_fired": None if newest is None else {"at": _z(newest.fired_at), "by": newest.fired_by},
            }))  # fmt: skip
            return 1 if problems else 0
        w = self.stdout.write
        w(f"Hotline audit at {_z(now)} (UTC)")
        if newest is not None:
            w(f"last deadline fired {span((now - newest.fired_at).total_seconds())} ago by {newest.fired_by}")
        else:
            w("no deadline has fired yet")
        if late:
            w(self.style.ERROR(f"{len(late)} deadline(s) overdue or failed:"))
            for d in late:
                if d.state == DeadlineState.FAILED:
                    state = f"FAILED after {d.attempts} attempts: {d.last_error.splitlines()[0] if d.last_error else ''}"
                else:
                    state = f"pending, {span((now - d.due_at).total_seconds())} past due" + (
                        f", {d.attempts} failed attempt(s): {d.last_error.splitlines()[0]}"
                        if d.attempts
                        else ""
                    )
                w(f"  {d.kind:<16} due {_z(d.due_at)}  {_subject(d)}  [{state}]")
        else:
            w(f"no deadline more than {grace:g} s overdue, none failed")
        if untimed:
            w(
                self.style.ERROR(
                    f"{len(untimed)} message(s) awaiting acknowledgement with no live deadline (would never escalate):"
                )
            )
            for m in untimed:
                w(f"  {m.code} on {m.channel.code}, step {m.step}, {m.state}")
        w(f"{len(awaiting)} message(s) awaiting acknowledgement" + (":" if awaiting else ""))
        for m in awaiting:
            left = (m.ack_due_at - now).total_seconds() if m.ack_due_at else None
            when = "-" if left is None else (f"{span(left)} left" if left >= 0 else f"{span(left)} past due")
            w(
                f"  {m.code}  {m.priority:<9} {m.message_type:<22} {m.channel.code:<13} step {m.step}/{len(m.ladder) - 1} "
                f"-> {m.ladder[m.step]['to']:<12} due {_z(m.ack_due_at)} ({when})"
            )
        return 1 if problems else 0


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
