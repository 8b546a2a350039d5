"""The demonstration detainee exchange (docs/exchanges.md).

Public reporting of the Istanbul talks (30 October and 6–7 November 2025) spoke of "humanitarian gestures,
such as the reciprocal release of selected detainees". Everything here is INVENTED for the demonstration:
the exchange, both lists, every person (named "Demo Person 1" … "Demo Person 8", with identity numbers
"DEMO-…"), the places and the dates. No real person is named.

The story, through the exchanges services only (so every step is logged, and the names are stored
encrypted with the server's exchanges key, SULH_DATA_DIR/keys/exchanges.key):

1. The mediators (Qatar) open the exchange under the Istanbul measures and an obligation "released
   reciprocally" verified by the exchange itself.
2. Afghanistan and Pakistan each submit a list of four persons.
3. On 12 November 2025 two persons each way are handed over at the Torkham zero point; each release is
   confirmed by the receiving party and by the mediators or the joint monitoring team: the exchange becomes
   reciprocal (1:1) and the obligation is met by Sulh itself.
4. On 14 November Afghanistan hands over a third person at Chaman–Spin Boldak; Pakistan has confirmed
   receiving him, the joint monitoring team's confirmation is still pending, so it does not count yet.

Idempotent: does nothing when the demo exchange exists already."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction

from sulh.accounts.models import User
from sulh.exchanges import services
from sulh.exchanges.models import Exchange

DEMO = "[DEMO] "
TITLE = DEMO + "Humanitarian exchange of detainees agreed at Istanbul (invented)"
PKT = ZoneInfo("Asia/Karachi")

# Invented persons. Afghanistan holds Pakistani nationals and releases them; Pakistan the reverse.
PERSONS = {
    "AFG": [
        ("Demo Person 1", "DEMO-PK-0001", "18_29", "male", "PAK", "Kandahar (demo)", dt.date(2025, 10, 12)),
        ("Demo Person 2", "DEMO-PK-0002", "30_44", "male", "PAK", "Kandahar (demo)", dt.date(2025, 10, 12)),
        ("Demo Person 3", "DEMO-PK-0003", "45_59", "male", "PAK", "Nangarhar (demo)", dt.date(2025, 10, 13)),
        ("Demo Person 4", "DEMO-PK-0004", "18_29", "male", "PAK", "Nangarhar (demo)", dt.date(2025, 10, 15)),
    ],
    "PAK": [
        ("Demo Person 5", "DEMO-AF-0005", "30_44", "male", "AFG", "Peshawar (demo)", dt.date(2025, 10, 12)),
        ("Demo Person 6", "DEMO-AF-0006", "60_plus", "male", "AFG", "Peshawar (demo)", dt.date(2025, 10, 14)),
        ("Demo Person 7", "DEMO-AF-0007", "under_18", "male", "AFG", "Quetta (demo)", dt.date(2025, 10, 12)),
        ("Demo Person 8", "DEMO-AF-0008", "18_29", "female", "AFG", "Quetta (demo)", dt.date(2025, 10, 16)),
    ],
}


def _t(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=PKT)


def load(progress=None) -> None:
    say = progress or (lambda _msg: None)
    if Exchange.objects.filter(title=TITLE).exists():
        say("exchanges: the demo exchange is there already")
        return
    users = {u.username: u for u in User.objects.filter(demo_account__isnull=False)}
    need = ("qat.lead", "qat.verifier", "afg.liaison", "pak.liaison", "jmt.monitor1")
    missing = [n for n in need if n not in users]
    if missing:
        raise RuntimeError(
            f"the demo exchange needs the demo accounts {', '.join(missing)}: load the scenario first"
        )
    qat, qatv, jmt = users["qat.lead"], users["qat.verifier"], users["jmt.monitor1"]
    liaison = {"AFG": users["afg.liaison"], "PAK": users["pak.liaison"]}
    from sulh.commitments import services as commitments
    from sulh.commitments.models import Agreement

    with transaction.atomic():
        measures = Agreement.objects.filter(code="ISTANBUL-MEASURES-2025").exists()
        agreement = "ISTANBUL-MEASURES-2025" if measures else "ISTANBUL-2025-10-30"
        ex = services.open_exchange(qat, title=TITLE, agreement=agreement)
        ob = commitments.create_obligation(
            qat, agreement, clause="2" if measures else None, kind="detainee_release",
            title=DEMO + f"Release the persons listed in {ex.code} reciprocally (1:1)", obliged=["AFG", "PAK"],
            verified_by="exchange_reciprocal", subject=str(ex.pk),
            description="Met by Sulh when the exchange's confirmed releases stand at the charter's ratio. "
            "INVENTED for the demonstration.",
        )  # fmt: skip
        listed = {}
        for party, rows in PERSONS.items():
            listed[party] = [
                services.add_person(liaison[party], ex.code, party, full_name=name, id_number=idn, age_band=age,
                                    sex=sex, nationality=nat, place_of_detention=place, date_of_detention=when)
                for name, idn, age, sex, nat, place, when in rows
            ]  # fmt: skip
            services.submit_list(liaison[party], ex.code, party)

        def release(party, i, at, where, witness, *, witness_confirms=True):
            r = services.record_release(liaison[party], ex.code, reference=listed[party][i].reference,
                                        released_at=at, handed_over_at=where)  # fmt: skip
            other = "PAK" if party == "AFG" else "AFG"
            services.confirm_release(liaison[other], ex.code, r.pk, note="Received; identity checked. (demo)")
            if witness_confirms:
                services.confirm_release(witness, ex.code, r.pk, note="Handover witnessed. (demo)")
            return r

        torkham = "Torkham zero point (demo)"
        release("AFG", 0, _t(11, 12, 10), torkham, qatv)
        release("PAK", 0, _t(11, 12, 10, 20), torkham, jmt)
        release("AFG", 1, _t(11, 12, 10, 40), torkham, jmt)
        release("PAK", 1, _t(11, 12, 11), torkham, qatv)
        release(
            "AFG",
            2,
            _t(11, 14, 9, 30),
            "Chaman–Spin Boldak Friendship Gate (demo)",
            jmt,
            witness_confirms=False,
        )
    ex.refresh_from_db()
    ob.refresh_from_db()
    say(
        f"exchanges: {ex.code} {ex.state} (2:2 confirmed, one release awaiting the monitors), {ob.code} {ob.state}"
    )
