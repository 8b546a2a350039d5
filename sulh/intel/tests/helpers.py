"""Helpers of the intel tests: envelopes sealed as a desk would seal them, with the keyed charter's keys."""

import uuid

from sulh.intel import crypto, services

MARKER = "ZEBRA-7 TTP cell at Spin Tangi compound"  # the plaintext that must never reach the server


def report_payload(marker: str = MARKER) -> dict:
    return {
        "what": {
            "group": "TTP (Tehreek-e-Taliban Pakistan)",
            "activity": f"{marker}: fighters massing for a raid",
        },
        "where": {
            "point": {"lat": 34.1502, "lon": 70.9123},
            "precision_m": 500,
            "place": "near Nazyan, Nangarhar",
        },
        "when": {"from": "2025-11-02T22:00:00+04:30", "to": "2025-11-03T04:00:00+04:30"},
        "action_requested": "Interdict the group before it crosses; report what was done.",
        "material": [],
        "notes": "",
    }


def seal_report(ring, *, sender="PAK", receiver="AFG", payload=None, recipients=None, signer_key=None,
                classification="MECHANISM-RESTRICTED", report_id=None) -> dict:  # fmt: skip
    if recipients is None:
        keys = services.charter_keys()
        recipients = {org: keys[org].encryption for org in services.recipients_for(receiver)}
    return crypto.seal(
        payload or report_payload(),
        kind="report",
        report_id=report_id or str(uuid.uuid4()),
        sender=sender,
        receiver=receiver,
        classification=classification,
        recipients=recipients,
        signer_key=signer_key or ring[sender].intel_signer_key,
    )


def seal_answer(ring, report_id: str, *, category="action_taken", detail="Raid at 02:10; 3 detained.",
                sender="AFG", receiver="PAK", classification="MECHANISM-RESTRICTED") -> dict:  # fmt: skip
    keys = services.charter_keys()
    recipients = {org: keys[org].encryption for org in services.recipients_for(receiver)}
    return crypto.seal({"category": category, "detail": detail}, kind="answer", report_id=report_id,
                       sender=sender, receiver=receiver, classification=classification, recipients=recipients,
                       signer_key=ring[sender].intel_signer_key, category=category)  # fmt: skip
