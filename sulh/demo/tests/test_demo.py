"""The demonstration scenario: `sulh demo` loads a small scenario, every role gets an account, the
contradicting Spin Boldak claims sit side by side, --if-empty is idempotent, --code serves demo accounts
only, and the visibility rules hold on the loaded data."""

import base64
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sulh.accounts.models import Organisation, OrganisationKind, Role, User
from sulh.demo import scenario
from sulh.demo.models import DemoAccount
from sulh.incidents.models import Claim, ClaimStatus, Incident, visible_claims, visible_incidents

pytestmark = pytest.mark.django_db

SMALL = 40


@pytest.fixture
def demo():
    out = StringIO()
    call_command("demo", incidents=SMALL, stdout=out)
    return out.getvalue()


def _counts():
    return (Incident.objects.count(), Claim.objects.count(), User.objects.count(), TOTPDevice.objects.count())


def test_small_scenario_loads_and_is_marked_as_demo(demo):
    assert Incident.objects.count() == SMALL
    assert not Incident.objects.filter(is_demo=False).exists()
    assert all(t.startswith("[DEMO] ") for t in Incident.objects.values_list("title", flat=True))
    assert "DEMONSTRATION DATA" in demo
    assert scenario.DEMO_PASSWORD in demo
    assert "sulh demo --code USERNAME" in demo
    # The history runs 9 October – 20 November 2025; one incident is "this morning" (the live hotline demo).
    dates = sorted(Incident.objects.values_list("date_start", flat=True))
    assert dates[0].date().isoformat() >= "2025-10-08"  # 9 October, local time
    assert dates[-2].date().isoformat() <= "2025-11-20"
    assert abs((timezone.now() - dates[-1]).total_seconds()) < 3600


def test_the_live_hotline_morning(demo):
    """Desks are staffed, a notification was acknowledged, a hold-fire request awaits (and will escalate),
    the cross-border fire protocol runs for this morning's incident, and everything is in the log."""
    from sulh.deadlines.models import Deadline
    from sulh.hotline.models import Message, PostHolder
    from sulh.ledger.models import LogEntry
    from sulh.protocols.models import ProtocolRun

    assert PostHolder.objects.filter(post__code="MED-CELL").count() >= 2
    states = dict(Message.objects.values_list("message_type", "state"))
    assert states["incident_notification"] == "acknowledged"
    assert states["hold_fire_request"] == "sent"
    hold = Message.objects.get(message_type="hold_fire_request")
    assert Deadline.objects.filter(subject=str(hold.pk), state="pending", step=0).exists()
    run = ProtocolRun.objects.get(protocol="CROSS-BORDER-FIRE")
    assert dict(run.tasks.filter(step="NOTIFY").values_list("party", "state")) == {"PAK": "met"}
    assert LogEntry.objects.filter(kind="hotline.acknowledged").exists()


def test_every_role_has_a_demo_user(demo):
    demo_users = User.objects.filter(demo_account__isnull=False)
    for role in Role.values:
        assert demo_users.filter(role=role).exists(), role
    for username in ("afg.liaison", "pak.commander.sector", "qat.lead", "tur.verifier", "jmt.monitor1", "ops.admin",
                     "public"):  # fmt: skip
        assert demo_users.filter(username=username).exists(), username
    admin = User.objects.get(username="ops.admin")
    assert admin.is_staff and not admin.is_superuser
    assert User.objects.get(username="pak.commander.sector").sector
    for user in demo_users:
        assert user.check_password(scenario.DEMO_PASSWORD)
        assert user.timezone == user.organisation.timezone
        if user.requires_second_factor:
            assert TOTPDevice.objects.filter(user=user, confirmed=True).exists(), user.username
    assert User.objects.get(username="public").organisation.kind == OrganisationKind.PUBLIC


def test_spin_boldak_keeps_both_contradicting_claims(demo):
    incident = Incident.objects.get(title__contains="Spin Boldak–Chaman fighting")
    claims = list(incident.claims.filter(status=ClaimStatus.FILED))
    ispr = next(c for c in claims if c.reporting_party == "PAK" and c.source_name == "ISPR")
    mujahid = next(c for c in claims if c.reporting_party == "AFG")
    assert (ispr.deaths_low, ispr.deaths_high, ispr.alleged_violator) == (15, 20, "AFG")
    assert (mujahid.deaths_civilians, mujahid.injured_best, mujahid.alleged_violator) == (12, 100, "PAK")
    assert ispr.supersedes_id is None and mujahid.supersedes_id is None
    assert not Claim.objects.filter(supersedes__in=[ispr, mujahid]).exists()
    assert incident.published and incident.is_demo


def test_if_empty_a_second_time_creates_nothing(demo):
    before = _counts()
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert _counts() == before
    assert "already loaded" in out.getvalue()
    assert "pak.commander.sector" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("demo", incidents=SMALL, stdout=StringIO())
    assert _counts() == before


def test_code_for_a_demo_commander(demo):
    for args, kwargs in ((["--code", "pak.commander.sector"], {}), (["code", "afg.commander.sector"], {})):
        out = StringIO()
        call_command("demo", *args, stdout=out, quiet=True, **kwargs)
        code = out.getvalue().strip()
        assert re.fullmatch(r"\d{6}", code)
        username = args[-1]
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert device.verify_token(code)


def test_code_refuses_a_non_demo_account(demo):
    real = User.objects.create_user(
        "real.commander",
        password="x-long-password-1",
        organisation=Organisation.objects.get(code="PAK"),
        role=Role.COMMANDER,
    )
    TOTPDevice.objects.create(user=real, name="phone", confirmed=True)
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("demo", "--code", "real.commander", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("demo", "code", "nobody.at.all", stdout=StringIO())
    with pytest.raises(CommandError, match="without a TOTP code"):
        call_command("demo", "--code", "afg.liaison", stdout=StringIO())


def test_public_sees_only_published_incidents(demo):
    public = User.objects.get(username="public")
    seen = visible_incidents(public)
    assert seen.exists()
    assert not seen.filter(published=False).exists()
    claims = visible_claims(public)
    assert claims.exists()
    assert set(claims.values_list("audience", flat=True)) == {"public"}
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.FILED}


def test_a_party_never_sees_the_other_partys_drafts(demo):
    drafts = Claim.objects.filter(status=ClaimStatus.DRAFT)
    assert drafts.filter(organisation__code="AFG").exists()
    assert drafts.filter(organisation__code="PAK").exists()
    for user in User.objects.filter(demo_account__isnull=False):
        mine = visible_claims(user).filter(status=ClaimStatus.DRAFT)
        assert not mine.exclude(organisation=user.organisation).exists(), user.username
    for own, other in (("AFG", "PAK"), ("PAK", "AFG")):
        draft_only = Incident.objects.exclude(claims__status=ClaimStatus.FILED).filter(
            claims__organisation__code=other
        )
        for user in User.objects.filter(demo_account__isnull=False, organisation__code=own):
            assert not visible_incidents(user).filter(pk__in=draft_only).exists(), user.username


def test_same_seed_same_scenario():
    def titles(seed):
        with transaction.atomic():
            scenario.load(seed=seed, incidents_wanted=30)
            rows = list(
                Incident.objects.order_by("code").values_list("code", "title", "latitude", "longitude")
            )
            transaction.set_rollback(True)
        return rows

    first = titles(7)
    assert first == titles(7)
    assert first != titles(8)
    assert not DemoAccount.objects.exists()


def test_demo_log_is_witnessed_and_verifies(demo):
    from sulh.ledger import services as ledger
    from sulh.ledger.tiles import DatabaseSource
    from sulh.ledger.verify import Trust, verify_log

    cp = ledger.latest_checkpoint(witnessed=True)
    assert cp is not None and cp.size > 0
    assert {c.key.organisation.code for c in cp.cosignatures.select_related("key__organisation")} == {
        "AFG", "PAK", "QAT", "TUR",
    }  # fmt: skip
    report = verify_log(DatabaseSource(), Trust.from_policy(ledger.policy_text()), require_witnessed=True)
    assert report.ok, report.lines()
    assert report.quorum_met


def test_the_verification_walk(demo):
    """Pakistan's complaint is replied to, investigated and closed by a finding signed by two mediators with
    their demo keys, with its penalties (the warning imposed); Afghanistan's complaint awaits a reply whose
    deadline is still running; a case opened from a joint post's report has a pending request to Pakistan.
    Every step is in the log."""
    import stat

    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from sulh.deadlines.models import Deadline
    from sulh.demo import verification as demo_verification
    from sulh.ledger.models import LogEntry
    from sulh.verification import findings
    from sulh.verification.models import Case, Complaint, Finding, PlanItem

    finding = Finding.objects.get()
    assert (finding.state, finding.outcome, finding.responsible, finding.confidence) == (
        "published", "verified", "AFG", "PROBABLE",
    )  # fmt: skip
    assert (finding.deaths_best, finding.injured_best) == (5, 6)
    signers = set(finding.signatures.values_list("signer__username", flat=True))
    assert signers == {"qat.verifier", "tur.verifier"}
    body = findings.frozen_statement(finding)
    for sig in finding.signatures.select_related("key"):
        findings._public_key(sig.key.public_key).verify(base64.b64decode(sig.signature), body)
        path = demo_verification.key_dir() / sig.signer.username
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        key = load_pem_private_key(path.read_bytes(), password=None)
        assert demo_verification._public_b64(key) == sig.key.public_key
    assert "DEMO KEYS ONLY" in (demo_verification.key_dir() / "README.txt").read_text()
    penalties = dict(finding.penalties.values_list("penalty", "decision"))
    assert penalties["WARNING"] == "imposed"
    assert finding.penalties.get(penalty="WARNING").decided_by.username == "qat.lead"
    assert set(penalties) >= {"WARNING"}

    case = finding.case
    assert case.stage == "closed" and case.complaint.complainant == "PAK"
    assert case.complaint.state == "replied" and case.complaint.reply.position == "joint_inquiry"
    assert "tur.verifier" in set(case.members.values_list("user__username", flat=True))
    assert dict(case.plan.values_list("kind", "state")) == {
        "information_request": "answered",
        "site_visit": "done",
    }
    assert case.incidents.get().sub_event_type == "Cross-border fire"

    waiting = Complaint.objects.get(complainant="AFG")
    assert waiting.state == "awaiting_reply" and waiting.reply_due_at > timezone.now()
    assert Deadline.objects.filter(subject=str(waiting.pk), state="pending").exists()
    own = Case.objects.get(complaint__isnull=True)
    assert own.incidents.get().claims.exclude(post_code="").exists()
    pending = PlanItem.objects.get(case=own)
    assert (pending.kind, pending.party, pending.state) == ("information_request", "PAK", "planned")
    assert pending.message is not None

    texts = [c.account for c in Complaint.objects.all()] + [finding.reasoning, case.reason, own.reason]
    assert all("DEMONSTRATION" in t for t in texts)
    kinds = set(LogEntry.objects.values_list("kind", flat=True))
    for kind in ("complaint.lodged", "reply.submitted", "case.opened", "plan_item.planned", "plan_item.answered",
                 "plan_item.done", "finding.drafted", "finding.submitted", "mediator_key.registered",
                 "finding.signed", "finding.published", "case.closed", "penalty.proposed", "penalty.imposed"):  # fmt: skip
        assert kind in kinds, kind
    assert LogEntry.objects.filter(kind="finding.signed").count() == 2
