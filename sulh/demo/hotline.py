"""The demonstration hotline: who staffs which desk, and a live morning on the line.

Runs at the end of the demo scenario, in its transaction, through the hotline and protocol services, so
everything is logged and the deadlines are real: a message left unacknowledged climbs the ladder while the
demo runs (the hold-fire request below reaches the regional desks five minutes after `make run`).
Times are "now": the scenario's historical incidents (2025) are too old to start protocols.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from sulh.hotline import services as hotline
from sulh.protocols import services as protocols

# username: desks held. Sector commanders hold the desks of their own sector and of the sector where the
# other party's demo commander sits, so the two demo sector commanders face each other on both lines.
DESKS = {
    "afg.commander.sector": ["AFG-S2", "AFG-S5"],
    "pak.commander.sector": ["PAK-S5", "PAK-S2"],
    "afg.commander.regional": ["AFG-R-SOUTH", "AFG-R-EAST", "AFG-R-NORTH"],
    "pak.commander.regional": ["PAK-R-SOUTH", "PAK-R-EAST", "PAK-R-NORTH"],
    "afg.commander.national": ["AFG-HQ"],
    "pak.commander.national": ["PAK-HQ"],
    "afg.liaison": ["AFG-HQ"],
    "pak.liaison": ["PAK-HQ"],
    "qat.verifier": ["MED-CELL"],
    "tur.verifier": ["MED-CELL"],
    "qat.lead": ["MED-CELL"],
}


def load(b) -> dict:
    """`b` is the scenario's Builder (users, places, incident creation)."""
    users = b.users
    admin = users["ops.admin"]
    hotline.sync(b.charter)
    for username, codes in DESKS.items():
        if username in users:
            for code in codes:
                hotline.assign_holder(admin, code, users[username])
    now = timezone.now()
    made = {}

    # 1. Fire at Chaman forty minutes ago: the Pakistani side registers it, which starts the cross-border
    #    fire protocol; its sector desk notified the Afghan desk at once, and the Afghan desk acknowledged.
    chaman = b.point("Chaman")
    claim = b.new(
        "pak.liaison", "Small-arms fire across the line at Chaman (this morning)", chaman,
        now - timedelta(minutes=40), event_type="Ceasefire violation", sub_event_type="Cross-border fire",
        where_prec=2, location_name="Chaman, near the Friendship Gate", alleged_violator="AFG",
        source_name="Pakistani sector desk S2", audience="parties",
        narrative="Two bursts of small-arms fire towards a Pakistani picket near the Friendship Gate; no one hurt.",
    )  # fmt: skip
    incident = claim.incident
    note = hotline.send(users["pak.commander.sector"], hotline.Outgoing(
        channel="S2-CHAMAN", message_type="incident_notification", priority="flash", incident=incident.code,
        body="Two bursts of small-arms fire from your side towards our picket near the Friendship Gate, 40 minutes "
             "ago. No casualties. Request you check your posts and confirm.",
    ))  # fmt: skip
    hotline.mark_read(users["afg.commander.sector"], note.code)
    hotline.acknowledge(users["afg.commander.sector"], note.code, reply="Received. Checking with our posts at Spin Boldak.")
    made["notification"] = note.code
    run = incident.protocol_runs.first()
    if run is not None:
        hold = run.tasks.filter(step="HOLD-FIRE", party="PAK").first()
        if hold is not None:
            protocols.file_report(users["pak.commander.sector"], hold.pk, report="HOLD-FIRE-CONFIRMED",
                                  text="All pickets in sector S2 ordered to hold fire.")  # fmt: skip
        made["protocol_run"] = str(run.pk)

    # 2. A hold-fire request nobody has acknowledged yet: it escalates while you watch.
    made["hold_fire"] = hotline.send(users["afg.commander.sector"], hotline.Outgoing(
        channel="S5-KURRAM", message_type="hold_fire_request", priority="immediate",
        body="Mortar rounds landing near the Kharlachi crossing from your side. Request immediate hold fire.",
        latitude=33.82, longitude=69.93,
    )).code  # fmt: skip

    # 3. Prior notice of an exercise, acknowledged with a reply.
    exercise = hotline.send(users["pak.commander.national"], hotline.Outgoing(
        channel="NATIONAL", message_type="movement_notice", priority="routine",
        body="Prior notice: company-level exercise with blank ammunition, 8 km east of the line at Torkham, tomorrow 06:00–14:00 PKT.",
        latitude=34.10, longitude=71.17, starts_at=now + timedelta(hours=20), ends_at=now + timedelta(hours=28),
    ))  # fmt: skip
    hotline.acknowledge(users["afg.commander.national"], exercise.code, reply="Noted. Our posts at Torkham informed.")
    made["movement_notice"] = exercise.code

    # 4. A medical evacuation: the Afghan side asks, the protocol asks the Pakistani side to confirm passage.
    made["medevac"] = hotline.send(users["afg.commander.regional"], hotline.Outgoing(
        channel="REG-EAST", message_type="medevac", priority="flash",
        body="Two wounded civilians at Torkham need transfer to Peshawar. Request safe passage at the gate.",
        latitude=34.11, longitude=71.09,
    )).code  # fmt: skip

    # 5. A restricted message to the mediators.
    made["to_mediators"] = hotline.send(users["afg.liaison"], hotline.Outgoing(
        channel="MED-AFG", message_type="free_text", priority="routine", restricted=True,
        body="We request the mediators' cell to attend the next sector-level meeting at Spin Boldak.",
    )).code  # fmt: skip
    return made
