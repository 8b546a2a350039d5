"""The complaints console: lodging, the accused party's draft and submission, who sees the draft, and
refusals shown next to their field with a 4xx and nothing stored."""

import pytest

from sulh.conftest import console_client, incident_payload
from sulh.hotline.models import Message
from sulh.ledger.models import LogEntry
from sulh.verification.models import Complaint, Reply

pytestmark = pytest.mark.django_db

ACCOUNT = "Mortar fire from across the line at 02:00."
DRAFT = "Our posts did not fire; the shots came from a smugglers camp."


@pytest.fixture
def incident(api):
    r = api("pak_liaison").post("/incidents", incident_payload(file=True, audience="parties"))
    assert r.status_code == 201, r.content
    return r.json()["incident"]["code"]


def _counts():
    return Complaint.objects.count(), Reply.objects.count(), Message.objects.count(), LogEntry.objects.count()


def _lodge(client, incident, **overrides):
    data = {"incidents": incident, "clause": "DOHA-2025/2", "account": ACCOUNT, "evidence": ""}
    data.update(overrides)
    return client.post("/verification/complaints/new", data)


def test_lodging_from_the_console_and_the_list(users, incident):
    pak = console_client(users["pak_liaison"])
    assert b"DOHA-2025/2" in pak.get("/verification/complaints/new").content  # the charter's clauses
    r = _lodge(pak, incident)
    assert r.status_code == 302, r.content.decode()
    c = Complaint.objects.get()
    assert r["Location"] == f"/verification/complaints/{c.code}"
    assert (c.complainant, c.accused, c.account) == ("PAK", "AFG", ACCOUNT)
    for name in ("pak_liaison", "afg_liaison", "qat_verifier"):
        page = console_client(users[name]).get("/verification/complaints/").content.decode()
        assert c.code in page and f'data-due="{c.reply_due_at:%Y-%m-%dT%H:%M:%S}Z"' in page
    assert (
        "/verification/complaints/new"
        in console_client(users["pak_liaison"]).get("/verification/complaints/").content.decode()
    )
    # The party's analysts see its complaints but do not lodge them.
    page = console_client(users["pak_analyst"]).get("/verification/complaints/").content.decode()
    assert c.code in page and "/verification/complaints/new" not in page
    assert console_client(users["jmt_monitor"]).get("/verification/complaints/").status_code == 403
    assert console_client(users["jmt_monitor"]).get(f"/verification/complaints/{c.code}").status_code == 403


def test_the_accused_saves_and_submits_and_the_complainant_never_sees_the_draft(users, incident):
    _lodge(console_client(users["pak_liaison"]), incident)
    code = Complaint.objects.get().code
    url = f"/verification/complaints/{code}"
    afg = console_client(users["afg_liaison"])
    page = afg.get(url).content.decode()
    assert 'name="position"' in page and 'name="final"' not in page  # nothing to submit before a draft
    r = afg.post(url, {"action": "save", "position": "disputes", "account": DRAFT, "evidence": ""})
    assert r.status_code == 302, r.content.decode()
    reply = Reply.objects.get()
    assert reply.is_draft and reply.account == DRAFT
    page = afg.get(url).content.decode()
    assert DRAFT in page and 'name="final"' in page
    # The complainant and the mediators see no draft on the page, and no reply form.
    for name in ("pak_liaison", "pak_commander", "qat_verifier"):
        page = console_client(users[name]).get(url).content.decode()
        assert DRAFT not in page and 'name="position"' not in page, name

    # Submission must be confirmed as final; unconfirmed, it is refused and nothing changes.
    n = _counts()
    r = afg.post(url, {"action": "submit"})
    assert r.status_code == 422 and 'name="final"' in r.content.decode()
    assert _counts() == n and Reply.objects.get().is_draft
    r = console_client(users["afg_commander"]).post(url, {"action": "submit", "final": "on"})
    assert r.status_code == 302, r.content.decode()
    reply.refresh_from_db()
    assert not reply.is_draft and reply.submitted_by == users["afg_commander"]
    for name in ("pak_liaison", "qat_verifier", "afg_liaison"):
        page = console_client(users[name]).get(url).content.decode()
        assert DRAFT in page and 'name="position"' not in page, name


def test_refusals_are_shown_next_to_their_field_and_store_nothing(users, incident):
    pak = console_client(users["pak_liaison"])
    n = _counts()
    r = _lodge(pak, incident, clause="DOHA-2025/99")  # not in the select: the form refuses it
    assert r.status_code == 422 and "has-error" in r.content.decode()
    r = _lodge(pak, "AFPK-1999-01-0001")
    assert r.status_code == 404
    assert "no incident" in r.content.decode() and "has-error" in r.content.decode()
    r = _lodge(pak, incident, account="   ")
    assert r.status_code == 422
    r = _lodge(pak, incident, evidence="not-a-uuid")
    assert r.status_code == 422 and "is not an evidence id" in r.content.decode()
    assert console_client(users["pak_analyst"]).post("/verification/complaints/new", {}).status_code == 403
    assert _counts() == n

    _lodge(pak, incident)
    url = f"/verification/complaints/{Complaint.objects.get().code}"
    n = _counts()
    # The complainant cannot write the accused party's reply: refused on the page, 403, nothing stored.
    r = pak.post(url, {"action": "save", "position": "accepts", "account": "We accept."})
    assert r.status_code == 403 and "only the accused party" in r.content.decode()
    r = console_client(users["afg_liaison"]).post(
        url, {"action": "save", "position": "maybe", "account": "No."}
    )
    assert r.status_code == 422 and "has-error" in r.content.decode()
    assert _counts() == n

    afg = console_client(users["afg_liaison"])
    afg.post(url, {"action": "save", "position": "accepts", "account": "We accept."})
    afg.post(url, {"action": "submit", "final": "on"})
    n = _counts()
    # Frozen: the form is gone, and a replayed POST is refused with 409.
    r = afg.post(url, {"action": "save", "position": "disputes", "account": DRAFT})
    assert r.status_code == 409 and "frozen" in r.content.decode()
    r = afg.post(url, {"action": "submit", "final": "on"})
    assert r.status_code == 409 and "already submitted" in r.content.decode()
    assert _counts() == n and Reply.objects.get().position == "accepts"
