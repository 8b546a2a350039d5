"""The cases console: the verifier's board, a case page (plan, requests for information, corroboration,
the finding and its signatures), and the compliance record. Refusals come back next to their field with a
4xx and store nothing; each party sees only its own requests and the finding once published."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sulh.conftest import console_client, incident_payload
from sulh.ledger.models import LogEntry
from sulh.verification import cases, findings
from sulh.verification.models import Finding, FindingSignature, PenaltyDecision, PlanItem

pytestmark = pytest.mark.django_db

REASONING = "Two independent sources agree on time, place and the direction of fire."
DRAFT = {
    "outcome": "verified", "responsible": "AFG", "confidence": "PROBABLE", "clause": "DOHA-2025/2",
    "date_start": "", "date_end": "", "place": "Landi Kotal", "latitude": "", "longitude": "",
    "deaths_low": "0", "deaths_best": "0", "deaths_high": "1",
    "injured_low": "", "injured_best": "", "injured_high": "", "reasoning": REASONING,
}  # fmt: skip


@pytest.fixture
def complaint(api):
    r = api("pak_liaison").post("/incidents", incident_payload(file=True, audience="parties"))
    assert r.status_code == 201, r.content
    body = {
        "incidents": [r.json()["incident"]["code"]],
        "clause": "DOHA-2025/2",
        "account": "Mortar fire at 02:00.",
    }
    r = api("pak_liaison").post("/complaints", body)
    assert r.status_code == 201, r.content
    return r.json()["code"]


@pytest.fixture
def case(users, complaint):
    return cases.open_case(
        users["qat_verifier"], complaint=complaint, reason="Complaint disputed; verify it."
    )


def _url(case):
    return f"/verification/cases/{case.code}"


def _counts():
    return (
        Finding.objects.count(),
        PlanItem.objects.count(),
        FindingSignature.objects.count(),
        LogEntry.objects.count(),
    )


def test_the_board_is_for_the_mediators_and_opens_cases(users, complaint):
    lead = console_client(users["qat_lead"])
    r = lead.post(
        "/verification/board", {"complaint": complaint, "incidents": "", "reason": "Disputed.", "team": ""}
    )
    assert r.status_code == 302, r.content.decode()
    code = r["Location"].rsplit("/", 1)[1]
    cases.plan(users["qat_lead"], code, "information_request", "Send the firing logs.", "AFG")
    page = lead.get("/verification/board").content.decode()
    assert code in page and 'class="countdown" data-due=' in page and "data-server-now=" in page
    # A bad complaint code is refused next to its field, nothing opened.
    n = LogEntry.objects.count()
    r = lead.post("/verification/board", {"complaint": "CMP-1999-01-0001", "reason": "x"})
    assert r.status_code == 404 and "CMP-1999-01-0001" in r.content.decode()
    assert LogEntry.objects.count() == n
    for name in ("pak_liaison", "afg_commander", "jmt_monitor"):
        assert console_client(users[name]).get("/verification/board").status_code == 403, name
        assert (
            console_client(users[name])
            .post("/verification/board", {"complaint": complaint, "reason": "x"})
            .status_code
            == 403
        )


def test_corroboration_is_shown_to_the_mediators_only(users, case):
    assert 'class="corroboration"' in console_client(users["qat_verifier"]).get(_url(case)).content.decode()
    for name in ("pak_liaison", "afg_liaison"):
        page = console_client(users[name]).get(_url(case)).content.decode()
        assert case.code in page and 'class="corroboration"' not in page and 'name="outcome"' not in page, (
            name
        )
    assert console_client(users["jmt_monitor"]).get(_url(case)).status_code == 403


def test_a_party_answers_its_own_request_and_not_the_others(users, case):
    verifier = console_client(users["qat_verifier"])
    r = verifier.post(
        _url(case),
        {
            "action": "plan",
            "kind": "information_request",
            "description": "Send the firing logs of post 7.",
            "party": "AFG",
        },
    )
    assert r.status_code == 302, r.content.decode()
    r = verifier.post(
        _url(case),
        {
            "action": "plan",
            "kind": "information_request",
            "description": "Send the radar track.",
            "party": "PAK",
        },
    )
    assert r.status_code == 302, r.content.decode()
    # A request without its party is refused next to the field, nothing stored.
    n = _counts()
    r = verifier.post(
        _url(case), {"action": "plan", "kind": "information_request", "description": "Who?", "party": ""}
    )
    assert r.status_code == 422 and "names the party asked" in r.content.decode() and _counts() == n
    afg_rfi = PlanItem.objects.get(party="AFG")
    pak_rfi = PlanItem.objects.get(party="PAK")

    afg = console_client(users["afg_liaison"])
    page = afg.get(_url(case)).content.decode()
    assert "firing logs of post 7" in page and "radar track" not in page
    assert f'name="item" value="{afg_rfi.pk}"' in page and f'value="{pak_rfi.pk}"' not in page
    # The other party's request cannot be answered from this page either: it is not found for AFG.
    n = _counts()
    r = afg.post(_url(case), {"action": "answer", "item": str(pak_rfi.pk), "text": "Here it is."})
    assert r.status_code == 404 and _counts() == n
    # An empty answer is refused next to the field.
    r = afg.post(_url(case), {"action": "answer", "item": str(afg_rfi.pk), "text": " "})
    assert r.status_code == 422 and _counts() == n
    r = afg.post(
        _url(case), {"action": "answer", "item": str(afg_rfi.pk), "text": "The logs show no fire that night."}
    )
    assert r.status_code == 302, r.content.decode()
    afg_rfi.refresh_from_db()
    assert afg_rfi.state == "answered" and afg_rfi.done_by == users["afg_liaison"]
    # An analyst of the party sees the request but does not speak for the party.
    page = console_client(users["afg_analyst"]).get(_url(case)).content.decode()
    assert "firing logs of post 7" in page
    pak = console_client(users["pak_commander"])
    r = pak.post(_url(case), {"action": "refuse", "item": str(pak_rfi.pk), "text": "Operational secrecy."})
    assert r.status_code == 302
    pak_rfi.refresh_from_db()
    assert pak_rfi.state == "refused"
    assert "plan_item.answered" in console_client(users["qat_verifier"]).get(_url(case)).content.decode()


def test_the_draft_finding_form_saves_and_refuses_bad_input(users, case):
    verifier = console_client(users["qat_verifier"])
    page = verifier.get(_url(case)).content.decode()
    assert (
        'name="confidence"' in page
        and "ESTABLISHED" in page
        and "Two or more independent sources agree" in page
    )
    n = _counts()
    bad = [
        ({"responsible": ""}, "names the party responsible"),
        ({"deaths_best": "3", "deaths_high": "1"}, "low &lt;= best &lt;= high"),
        ({"reasoning": ""}, "This field is required"),
        ({"confidence": "CERTAIN"}, "CERTAIN"),
    ]
    for change, message in bad:
        r = verifier.post(_url(case), {"action": "draft", **DRAFT, **change})
        assert r.status_code in (400, 422), (change, r.status_code)
        assert message in r.content.decode(), change
        assert _counts() == n, change
    r = verifier.post(_url(case), {"action": "draft", **DRAFT})
    assert r.status_code == 302, r.content.decode()
    f = Finding.objects.get()
    assert (f.outcome, f.responsible, f.confidence, f.deaths_high, f.reasoning) == (
        "verified",
        "AFG",
        "PROBABLE",
        1,
        REASONING,
    )
    r = verifier.post(_url(case), {"action": "draft", **DRAFT, "place": "Torkham"})
    assert r.status_code == 302 and Finding.objects.get().place == "Torkham" and Finding.objects.count() == 1
    # The parties never see the draft.
    page = console_client(users["afg_liaison"]).get(_url(case)).content.decode()
    assert REASONING not in page and "Torkham" not in page


def _key(user) -> Ed25519PrivateKey:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    findings.register_key(user, base64.b64encode(raw).decode())
    return private


def test_signing_publishing_and_what_the_parties_see(users, case):
    verifier, analyst = console_client(users["qat_verifier"]), console_client(users["tur_analyst"])
    assert verifier.post(_url(case), {"action": "draft", **DRAFT}).status_code == 302
    assert verifier.post(_url(case), {"action": "submit_finding"}).status_code == 302
    f = Finding.objects.get()
    assert f.state == "signing"
    page = verifier.get(_url(case)).content.decode()
    assert f.statement_sha256 in page and 'name="signature"' in page and 'name="outcome"' not in page
    body = findings.frozen_statement(f)

    keys = {name: _key(users[name]) for name in ("qat_verifier", "tur_analyst")}
    # A signature by the wrong key is refused next to the field; nothing stored.
    n = _counts()
    wrong = base64.b64encode(Ed25519PrivateKey.generate().sign(body)).decode()
    r = verifier.post(_url(case), {"action": "sign", "signature": wrong})
    assert r.status_code == 422 and "does not verify" in r.content.decode() and _counts() == n
    r = verifier.post(_url(case), {"action": "sign", "signature": "not base64!"})
    assert r.status_code == 422 and _counts() == n
    for name, client in (("qat_verifier", verifier), ("tur_analyst", analyst)):
        sig = base64.b64encode(keys[name].sign(body)).decode()
        assert client.post(_url(case), {"action": "sign", "signature": sig}).status_code == 302, name
    f.refresh_from_db()
    assert f.state == "published"
    r = analyst.post(_url(case), {"action": "dissent", "text": "The direction of fire is not established."})
    assert r.status_code == 302

    for name in ("afg_liaison", "pak_liaison"):
        page = console_client(users[name]).get(_url(case)).content.decode()
        assert REASONING in page and "The direction of fire is not established." in page, name
        for form in ('name="outcome"', 'name="signature"', 'value="imposed"', 'name="text"'):
            assert form not in page, (name, form)
    # A party's attempt to edit is refused, nothing changes.
    n = _counts()
    r = console_client(users["afg_liaison"]).post(
        _url(case), {"action": "draft", **DRAFT, "place": "Elsewhere"}
    )
    assert (
        r.status_code in (403, 404, 409) and _counts() == n and Finding.objects.get().place == "Landi Kotal"
    )

    proposed = list(PenaltyDecision.objects.filter(finding=f))
    assert proposed, "the charter proposes a penalty for a verified violation"
    lead = console_client(users["qat_lead"])
    assert 'value="imposed"' in lead.get(_url(case)).content.decode()
    assert 'value="imposed"' not in verifier.get(_url(case)).content.decode()
    r = verifier.post(_url(case), {"action": "imposed", "penalty": str(proposed[0].pk), "note": ""})
    assert r.status_code == 403
    r = lead.post(_url(case), {"action": "imposed", "penalty": str(proposed[0].pk), "note": "Warning sent."})
    assert r.status_code == 302
    assert PenaltyDecision.objects.get(pk=proposed[0].pk).decision == "imposed"

    page = console_client(users["pak_liaison"]).get("/verification/compliance/AFG").content.decode()
    assert '<td data-k="verified">1</td>' in page and '<td data-k="imposed">1</td>' in page
    assert f'<td data-k="penalties_total">{len(proposed)}</td>' in page and case.code in page


def test_the_compliance_page_counts(users, case):
    cases.plan(users["qat_verifier"], case.code, "information_request", "Send the firing logs.", "AFG")
    item = PlanItem.objects.get()
    cases.answer_request(users["afg_liaison"], item.pk, refuse=True, reason="Secret.")
    page = console_client(users["qat_lead"]).get("/verification/compliance/AFG").content.decode()
    for k, v in (
        ("total", 1),
        ("awaiting_reply", 1),
        ("rfi_total", 1),
        ("rfi_refused", 1),
        ("rfi_answered", 0),
        ("verified", 0),
    ):
        assert f'<td data-k="{k}">{v}</td>' in page, k
    page = console_client(users["afg_liaison"]).get("/verification/compliance/PAK").content.decode()
    assert '<td data-k="total">0</td>' in page
    assert console_client(users["jmt_monitor"]).get("/verification/compliance/AFG").status_code == 403
    assert console_client(users["qat_lead"]).get("/verification/compliance/XYZ").status_code == 404


def test_the_mediators_plan_and_complete_steps_and_the_links(users, case):
    verifier = console_client(users["qat_verifier"])
    r = verifier.post(
        _url(case), {"action": "plan", "kind": "site_visit", "description": "Visit the crater.", "party": ""}
    )
    assert r.status_code == 302, r.content.decode()
    item = PlanItem.objects.get()
    n = _counts()
    r = verifier.post(_url(case), {"action": "complete", "item": str(item.pk), "report": ""})
    assert r.status_code == 422 and _counts() == n
    # A party cannot record the mediators' step (it does not even see it).
    r = console_client(users["afg_liaison"]).post(
        _url(case), {"action": "complete", "item": str(item.pk), "report": "x"}
    )
    assert r.status_code in (403, 404) and _counts() == n
    r = verifier.post(
        _url(case), {"action": "complete", "item": str(item.pk), "report": "A 82 mm mortar crater."}
    )
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.state == "done" and item.report == "A 82 mm mortar crater."
    page = verifier.get(_url(case)).content.decode()
    assert "plan_item.done" in page and "case.opened" in page and "UTC" in page
    assert "Visit the crater." not in console_client(users["afg_liaison"]).get(_url(case)).content.decode()
    # Links: the board from the nav for the mediators' leads and verifiers; compliance records from complaints.
    assert (
        "/verification/board"
        in console_client(users["qat_lead"]).get("/verification/complaints/").content.decode()
    )
    page = console_client(users["afg_liaison"]).get("/verification/complaints/").content.decode()
    assert "/verification/board" not in page and "/verification/compliance/PAK" in page
