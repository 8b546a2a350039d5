"""The demonstration crossings: Torkham and Chaman–Spin Boldak closed to trade and travel since the clashes of
12 October 2025, recorded through the crossings services (so every record is logged).

What the records rest on, and what they leave out on purpose:
- Torkham closed on the night of 11–12 October 2025 (AZERTAC, cited by the scenario's Torkham incident) and
  Chaman–Spin Boldak closed from 12 October (Islamic Emirate border authorities, Kandahar, in the scenario);
  Dawn reported on 26 October that both "have stayed closed since the fighting began, leaving long lines of
  trucks stranded on both sides". The talks' reports in the project's seeds list "the reopening of key trade
  and travel routes" as an open item, not as done.
- AZERTAC's headline speaks of "preparations complete to reopen" Torkham for trade, but what the project
  holds gives no date of a reopening, so none is recorded.
- No partial reopening (for travel or for returning refugees) is recorded: neither the seeds nor the
  reporting the scenario cites says one happened by the end of the demo period, so both stay closed.
- No waiting figures: the reporting says "long lines of trucks" without a count, so trucks_waiting and
  people_waiting stay empty rather than invented.
- Ghulam Khan, Angoor Adda and Kharlachi get no record: nothing in the seeds or the cited reporting says
  what their status was, and the console shows them as "not recorded" rather than guessing.

Every reason says it is demonstration data and where its facts come from. Loading twice adds nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction

from sulh.accounts.models import User
from sulh.crossings import services
from sulh.crossings.models import CrossingStatus

PKT = ZoneInfo("Asia/Karachi")
NOTE = " [DEMONSTRATION record of the demo scenario.]"
AZERTAC = "https://azertag.az/en/xeber/preparations_complete_to_reopen_pakistan_afghanistan_border_crossing_for_bilateral_trade-3816119"
DAWN = "https://www.dawn.com/news/1951506/five-soldiers-martyred-as-forces-foil-infiltration-bids-in-kp"

# (username, crossing, mode, status, effective_at, reason)
RECORDS = [
    ("jmt.monitor1", "TORKHAM", "both", "closed", dt.datetime(2025, 10, 12, 0, 30, tzinfo=PKT),
     "Closed to trade and travel on the night of 11–12 October 2025 as the border clashes began (AZERTAC, "
     f"{AZERTAC}, as cited in the demo scenario). Trucks stranded on both sides; no count was reported, so "
     "none is recorded."),
    ("afg.liaison", "CHAMAN-SPIN-BOLDAK", "both", "closed", dt.datetime(2025, 10, 12, 6, 0, tzinfo=PKT),
     "Closed to trade and travel from 12 October 2025 after the fighting (Islamic Emirate border authorities, "
     "Kandahar). The hour is not known: 06:00 is the demo's estimate for the morning of the 12th."),
    ("jmt.monitor1", "CHAMAN-SPIN-BOLDAK", "both", "closed", dt.datetime(2025, 10, 26, 12, 0, tzinfo=PKT),
     "Still closed: per the demo scenario's source, Dawn reported on 26 October 2025 that the main crossings at Torkham and Chaman had stayed "
     f"closed since the fighting began, with long lines of trucks stranded on both sides ({DAWN}); no count "
     "given, so none recorded."),
    ("jmt.monitor1", "TORKHAM", "both", "closed", dt.datetime(2025, 10, 26, 12, 0, tzinfo=PKT),
     f"Still closed, per the same Dawn report of 26 October 2025 ({DAWN}); no count of trucks given."),
]  # fmt: skip


def load(progress=None) -> None:
    """Record the crossings' statuses on top of the demo scenario (its users must exist)."""
    say = progress or (lambda _msg: None)
    if CrossingStatus.objects.filter(reason__endswith=NOTE).exists():
        say("crossings: already loaded")
        return
    users = {u.username: u for u in User.objects.filter(username__in={r[0] for r in RECORDS})}
    made = 0
    with transaction.atomic():
        for username, code, mode, status, at, reason in RECORDS:
            made += len(services.record_status(users[username], code, mode=mode, status=status,
                                               effective_at=at, reason=reason + NOTE))  # fmt: skip
    say(
        f"crossings: {made} records (Torkham and Chaman–Spin Boldak closed since 12 October; others not recorded)"
    )
