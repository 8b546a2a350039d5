"""The demonstration verification: complaints, replies, cases, a signed finding and its penalties.

Runs at the end of the demo scenario, after the hotline morning, in its transaction and through the
verification services only, so every step is logged and the deadlines are real stored ones:

1. Pakistan complains about the cross-border fire at Chaman–Spin Boldak on 6 November 2025; Afghanistan
   replies (disputes it, asks for a joint inquiry); the mediators open a case, ask Afghanistan for
   information (answered), visit the site, and publish a finding signed by two mediators; Sulh proposes the
   charter's penalties and the mediators' lead imposes the warning.
2. Afghanistan complains about the shelling of 24–25 October; Pakistan has not replied and its deadline is
   still running (the console shows the countdown).
3. The mediators open a case on their own initiative from a joint monitoring post's report and ask Pakistan
   for information; the request is pending.

The mediators' signing keys are DEMO keys, kept under SULH_DATA_DIR/demo-mediator-keys/<username> (mode
0600): in a real deployment each mediator makes and keeps their key on their own machine and the server
holds only the public half. All texts are invented for the demonstration and say so.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from sulh.incidents.models import Claim, Incident
from sulh.verification import cases, findings
from sulh.verification import services as complaints
from sulh.verification.models import MediatorKey, Outcome, PenaltyDecision, PlanKind, ReplyPosition

DEMO = "DEMONSTRATION — invented for the demo scenario, not a real complaint, reply or finding."
SIGNERS = ("qat.verifier", "tur.verifier")
KEY_README = (
    "DEMO KEYS ONLY. These Ed25519 private keys sign findings in the Sulh demonstration scenario. A real "
    "mediator makes their key on their own machine and registers only the public half; never use these.\n"
)


# --- demo signing keys -----------------------------------------------------------------------------------------


def key_dir() -> Path:
    return Path(settings.DATA_DIR) / "demo-mediator-keys"


def demo_key(username: str) -> Ed25519PrivateKey:
    """The demo mediator's private key, made on first use and kept (0600) for later demo loads."""
    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    readme = folder / "README.txt"
    if not readme.exists():
        readme.write_text(KEY_README)
    path = folder / username
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, Ed25519PrivateKey):
            return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written with 0600 from the start: the key is never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)
    return key


def _public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _ensure_registered(user, key: Ed25519PrivateKey) -> None:
    public = _public_b64(key)
    active = findings.active_key(user)
    if active is not None and active.public_key == public:
        return
    if MediatorKey.objects.filter(public_key=public).exists():
        raise RuntimeError(
            f"the demo key of {user.username} is registered to someone else; remove {key_dir()}"
        )
    findings.register_key(user, public)


def _sign(user, finding) -> None:
    key = demo_key(user.username)
    _ensure_registered(user, key)
    signature = key.sign(findings.frozen_statement(finding))
    findings.sign(user, finding.pk, base64.b64encode(signature).decode())


# --- picking the scenario's incidents ----------------------------------------------------------------------


def _cross_border_fire(b) -> Incident:
    """The 6 November fire at Chaman–Spin Boldak (the real timeline's), else the first demo cross-border fire."""
    found = b.key.get("spin_boldak_nov6")
    if found is not None:
        return found
    return (
        Incident.objects.filter(is_demo=True, sub_event_type="Cross-border fire")
        .order_by("date_start", "code")
        .first()
    )


def _against_pakistan(b, exclude: set) -> Incident:
    """An incident Afghanistan alleges against Pakistan: the shelling of 24–25 October, else the first such."""
    found = b.key.get("spinwam")
    if found is not None and found.pk not in exclude:
        return found
    claims = Claim.objects.filter(incident__is_demo=True, alleged_violator="PAK", filed_at__isnull=False,
                                  organisation__code="AFG").exclude(incident__in=exclude)  # fmt: skip
    return Incident.objects.filter(pk__in=claims.values("incident")).order_by("date_start", "code").first()


def _post_reported(exclude: set) -> Incident | None:
    """The latest demo incident a joint monitoring post reported on (filed), other than those already used."""
    claims = Claim.objects.filter(incident__is_demo=True, filed_at__isnull=False).exclude(post_code="")
    return (
        Incident.objects.filter(pk__in=claims.values("incident")).exclude(pk__in=exclude)
        .order_by("-date_start", "code").first()
    )  # fmt: skip


def _report_this_morning(b, exclude: set) -> Incident | None:
    """A small scenario may hold no post report besides the one already used: the joint post at Chaman then
    reports on this morning's fire there (the hotline demo's incident, the latest one)."""
    jmt = b.charter.monitoring_teams[0].code.lower() if b.charter.monitoring_teams else ""
    monitor = f"{jmt}.monitor2"
    if not jmt or monitor not in b.users or not b.post("JMP-CHAMAN"):
        return None
    morning = (
        Incident.objects.filter(is_demo=True).exclude(pk__in=exclude).order_by("-date_start", "code").first()
    )
    if morning is None:
        return None
    b.add(
        monitor, morning, b.point("Friendship Gate"), morning.date_start, event_type=morning.event_type,
        sub_event_type=morning.sub_event_type, where_prec=2, location_name="Chaman–Spin Boldak",
        post_code="JMP-CHAMAN", source_name="Joint monitoring post Chaman–Spin Boldak", audience="parties",
        narrative="INVENTED for the demonstration: the post heard two bursts of small-arms fire near the gate this "
        "morning; it could not see where they came from.",
    )  # fmt: skip
    return morning


def _clause(b, preferred: str) -> str:
    return b.clause(preferred) or next(code for code, _ in b.charter.clauses())


# --- the walk ----------------------------------------------------------------------------------------------------


def load(b) -> dict:
    """`b` is the scenario's Builder. Returns the codes of what was made."""
    u = b.users
    made: dict = {}
    fire = _cross_border_fire(b)
    if fire is None or not {"pak.liaison", "afg.liaison", "qat.lead", *SIGNERS} <= set(u):
        return made
    clause = _clause(b, "DOHA-2025/2")

    # 1. Pakistan's complaint, Afghanistan's reply, the case, its plan, the finding and its penalties.
    complaint = complaints.lodge(
        u["pak.liaison"], incidents=[fire.code], clause=clause,
        account="On 6 November 2025, during the third round of talks in Istanbul, fire was opened from the Afghan "
        "side of the line at Chaman towards Pakistani positions near the Friendship Gate; Pakistani troops replied "
        "in a measured way. Pakistan asks the mechanism to verify who fired first. " + DEMO,
    )  # fmt: skip
    made["complaint"] = complaint.code
    complaints.save_draft(
        u["afg.liaison"], complaint.code, position=ReplyPosition.JOINT_INQUIRY.value,
        account="Afghanistan disputes the complaint: Pakistani forces fired on Spin Boldak that afternoon and Afghan "
        "troops did not answer; the victims were civilians in Spin Boldak. Afghanistan asks for a joint inquiry "
        "with the joint monitoring post at Chaman–Spin Boldak. " + DEMO,
    )  # fmt: skip
    complaints.submit(u["afg.liaison"], complaint.code)

    lead = u["qat.lead"]
    case = cases.open_case(
        lead, complaint=complaint.code, team=["tur.verifier", "qat.verifier"],
        reason="Opened on Pakistan's complaint; the two parties' accounts of who fired first contradict each other "
        "and Afghanistan asks for a joint inquiry. " + DEMO,
    )  # fmt: skip
    made["case"] = case.code
    rfi = cases.plan(
        lead, case.code, PlanKind.INFORMATION_REQUEST, party="AFG",
        description="Give the positions of your posts within 3 km of the Friendship Gate on 6 November and their "
        "firing logs for 13:00–17:00. " + DEMO,
    )  # fmt: skip
    cases.answer_request(
        u["afg.liaison"], rfi.pk,
        answer="Three posts lie within 3 km of the gate (grid references attached to the case file); their logs "
        "record no outgoing fire that afternoon, only incoming fire from 15:10 to 15:25. " + DEMO,
    )  # fmt: skip
    visit = cases.plan(
        u["tur.verifier"], case.code, PlanKind.SITE_VISIT,
        description="Joint team visit to both sides of the Friendship Gate with the joint monitoring post. " + DEMO,
    )  # fmt: skip
    cases.complete(
        u["tur.verifier"], visit.pk,
        report="The team saw fresh impacts on the Pakistani picket east of the gate, facing the Afghan side, and "
        "spent cases of the calibre used at the Afghan post nearest the gate; the joint post's log matches "
        "the time (about a quarter of an hour from 15:10). Impacts in Spin Boldak came later. " + DEMO,
    )  # fmt: skip

    drafter = u[SIGNERS[0]]
    finding = findings.draft_finding(
        drafter, case.code, outcome=Outcome.VERIFIED.value, responsible="AFG", confidence="PROBABLE", clause=clause,
        date_start=fire.date_start, date_end=fire.date_end, latitude=fire.latitude, longitude=fire.longitude,
        place="Chaman–Spin Boldak (Friendship Gate)",
        deaths_low=0, deaths_best=5, deaths_high=5, injured_low=6, injured_best=6, injured_high=6,
        reasoning="The site visit and the joint post's log agree that the exchange began with fire from the Afghan "
        "post nearest the gate; Afghanistan's answer to the request for information does not explain the impacts "
        "on the Pakistani picket. Doubts remain (the joint post could not see where the fire started), hence "
        "PROBABLE. Casualty figures are those of the claims: none on the Pakistani side (Pakistan's account); "
        "five killed and six wounded in Spin Boldak (hospital official, AFP). " + DEMO,
    )  # fmt: skip
    findings.submit_for_signing(drafter, finding.pk)
    for username in SIGNERS:
        finding.refresh_from_db()
        _sign(u[username], finding)
    finding.refresh_from_db()
    made["finding"] = str(finding.pk)
    warning = finding.penalties.filter(penalty="WARNING").first()
    if warning is not None:
        findings.decide_penalty(
            lead, warning.pk, PenaltyDecision.Decision.IMPOSED.value,
            note="A written warning to Afghanistan is sent through the mediators' cell. " + DEMO,
        )  # fmt: skip
    made["penalties"] = sorted(finding.penalties.values_list("penalty", flat=True))

    # 2. Afghanistan's complaint, not replied to yet: Pakistan's reply deadline is running.
    used = {fire.pk}
    shelled = _against_pakistan(b, used)
    if shelled is not None:
        silent = complaints.lodge(
            u["afg.liaison"], incidents=[shelled.code], clause=clause,
            account="Pakistani forces shelled border areas of Kurram and North Waziristan after the Doha ceasefire "
            "of 19 October; Afghanistan asks the mechanism to verify it. " + DEMO,
        )  # fmt: skip
        made["awaiting_reply"] = silent.code
        used.add(shelled.pk)

    # 3. A case on the mediators' own initiative, from a joint monitoring post's report.
    reported = _post_reported(used) or _report_this_morning(b, used)
    if reported is not None:
        own = cases.open_case(
            u["tur.verifier"], incidents=[reported.code], team=["qat.verifier"],
            reason="Opened on the mediators' own initiative: a joint monitoring post reported the incident and "
            "neither party has complained. " + DEMO,
        )  # fmt: skip
        made["own_initiative_case"] = own.code
        made["pending_request"] = str(cases.plan(
            u["tur.verifier"], own.code, PlanKind.INFORMATION_REQUEST, party="PAK",
            description="Say which of your units were deployed near the place the joint post reported, and whether "
            "they fired that day. " + DEMO,
        ).pk)  # fmt: skip
    return made
