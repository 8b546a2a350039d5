"""The demonstration intelligence exchange: what the analysts hoped for after Doha — "if Pakistan identifies
suspected TTP targets, it might share coordinates with Kabul instead of undertaking unilateral raids".

1. Pakistan's desk sends Afghanistan a report on a TTP group moving towards the Mohmand border sector through
   Lalpura district, Nangarhar, asking Kabul to interdict it; Afghanistan acknowledges within the charter's
   deadline and answers "action taken" (a compound searched, men detained) the next day.
2. A second report — a TTP commander's group gathering in Barmal district, Paktika, opposite Angoor Adda — is
   acknowledged late and not yet answered: the answer deadline is a pending stored deadline.

Everything is FICTIONAL (groups, places of the groups, numbers), plausible in the setting of October–November
2025, and says so inside the sealed payloads. Reports are sealed and signed with the demo desks' keys, exactly as
`sulh intel send` does, and go through the intel services (validated, stored as ciphertext, logged as hashes).
With no demo keys in the charter in force (sulh.demo.keys.keys_in_force() is None) nothing is sent: real desks
send with their own keys. Run on top of the demo scenario (its accounts)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from sulh.accounts.models import User
from sulh.demo.keys import keys_in_force
from sulh.intel import crypto, services
from sulh.intel.models import Report

NOTE = (
    "DEMONSTRATION — fictional report entered for the demo scenario; no real group, place or person is meant."
)
FIRST = uuid.uuid5(uuid.NAMESPACE_URL, "sulh-demo/intel/lalpura")
SECOND = uuid.uuid5(uuid.NAMESPACE_URL, "sulh-demo/intel/barmal")


def _u(name: str) -> User:
    return User.objects.get(username=name)


def _recipients(receiver: str) -> dict[str, str]:
    keys = services.charter_keys()
    return {org: keys[org].encryption for org in services.recipients_for(receiver)}


def _report(ring, rid: uuid.UUID, classification: str, payload: dict) -> dict:
    return crypto.seal(payload, kind="report", report_id=str(rid), sender="PAK", receiver="AFG",
                       classification=classification, recipients=_recipients("AFG"),
                       signer_key=ring["PAK"].intel_signer_key)  # fmt: skip


def _answer(ring, rid: uuid.UUID, classification: str, category: str, detail: str) -> dict:
    return crypto.seal({"category": category, "detail": detail}, kind="answer", report_id=str(rid), sender="AFG",
                       receiver="PAK", classification=classification, recipients=_recipients("PAK"),
                       signer_key=ring["AFG"].intel_signer_key, category=category)  # fmt: skip


def load(progress=None) -> None:
    say = progress or (lambda _msg: None)
    if Report.objects.filter(pk__in=[FIRST, SECOND]).exists():
        say("intel: already loaded")
        return
    ring = keys_in_force()
    if ring is None or get_intel_keys_missing():
        say("intel: the charter in force carries no demo intel keys — no report sent (real desks send with "
            "`sulh intel send`; `sulh demo charter` writes a charter with the demo keys)")  # fmt: skip
        return
    now = timezone.now()
    pak, afg, afg_hq = _u("pak.liaison"), _u("afg.liaison"), _u("afg.commander.national")

    # 1. Sent two days ago; acknowledged 40 minutes later (the charter allows 2 hours); answered the next day.
    sent = now - dt.timedelta(days=2, hours=3)
    first = services.send(pak, _report(ring, FIRST, "MECHANISM-RESTRICTED", {
        "what": {"group": "Tehreek-e-Taliban Pakistan (TTP), a group of about 25–30 fighters",
                 "activity": "Moving on foot and by pickup from the Lalpura area towards the Mohmand border sector; "
                             "intercepted communications speak of an attack on border posts within 48 hours."},
        "where": {"point": {"lat": 34.2376, "lon": 71.0912}, "precision_m": 3000,
                  "place": "north of Lalpura, Nangarhar (compound near the Kabul river road)"},
        "when": {"from": (sent - dt.timedelta(hours=10)).isoformat(), "to": (sent + dt.timedelta(hours=36)).isoformat()},
        "action_requested": "Locate and interdict the group before it reaches the border; tell us what was done. "
                            "Pakistan takes no action across the border while this request is open.",
        "material": [], "notes": NOTE,
    }), at=sent)  # fmt: skip
    services.acknowledge(afg, first.pk, at=sent + dt.timedelta(minutes=40))
    services.answer(afg_hq, first.pk, _answer(
        ring, FIRST, "MECHANISM-RESTRICTED", "action_taken",
        "Forces of the Islamic Emirate searched two compounds north of Lalpura at 02:10; four men detained, small "
        "arms and a radio seized; no movement towards the border seen since. " + NOTE,
    ), at=sent + dt.timedelta(hours=26))  # fmt: skip
    say(f"intel: {first.code} sent by Pakistan, acknowledged on time, answered 'action taken' by Afghanistan")

    # 2. Sent ten hours ago; acknowledged five hours late; the answer is still awaited.
    sent = now - dt.timedelta(hours=10)
    second = services.send(pak, _report(ring, SECOND, "MECHANISM-SECRET", {
        "what": {"group": "TTP, a local commander's group (reported 40 fighters)",
                 "activity": "Gathering with mortars in villages of Barmal district opposite the Angoor Adda posts."},
        "where": {"area": {"type": "Polygon", "coordinates": [[[69.22, 32.62], [69.36, 32.62], [69.36, 32.74],
                                                                [69.22, 32.74], [69.22, 32.62]]]},
                  "place": "Barmal district, Paktika"},
        "when": {"from": (sent - dt.timedelta(days=1)).isoformat()},
        "action_requested": "Disperse the group and remove the mortars; confirm within the answer deadline.",
        "material": [], "notes": NOTE,
    }), at=sent)  # fmt: skip
    services.acknowledge(afg, second.pk, at=sent + dt.timedelta(hours=7))
    say(f"intel: {second.code} sent by Pakistan, acknowledged late, answer awaited")


def get_intel_keys_missing() -> bool:
    """The demo keyring's intel keys are not the ones the charter in force names."""
    ring = keys_in_force()
    keys = services.charter_keys()
    return ring is None or any(
        keys.get(org) is None
        or keys[org].encryption != k.intel_public
        or keys[org].signing != k.intel_verifier_key
        for org, k in ring.orgs.items()
    )
