"""Receipts: every write of /api/v1 answers, in its JSON and in a `Sulh-Receipt` header, the log entries it
made; each receipt's entry_hash is the logged entry's leaf hash and its inclusion proof verifies. A replay
answers the same receipts; a refused request (4xx) leaves no entry, no record and no receipt."""

import base64
import json
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sulh.accounts.models import ApiToken
from sulh.conftest import SPIN_BOLDAK, claim_payload, incident_payload
from sulh.evidence.models import Evidence
from sulh.incidents.models import Claim, Incident
from sulh.ledger import merkle
from sulh.ledger import services as ledger
from sulh.ledger.models import LogEntry
from sulh.ledger.tests.ledger_world import verify_database

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.SULH_EVIDENCE_DIR = tmp_path / "evidence"


@pytest.fixture
def clients(api):
    """Every client used below, made up front: issuing a token is itself a logged write."""
    return {name: api(name) for name in ("pak_liaison", "afg_liaison", "qat_lead", "qat_verifier", "public")}


def parse_header(value: str) -> list[dict]:
    """`Sulh-Receipt: 12; entry-hash=…; kind=…; record=…, 13; …` as a client reads it."""
    out = []
    for item in value.split(", "):
        index, *params = item.split("; ")
        fields = dict(p.split("=", 1) for p in params)
        out.append({"leaf_index": int(index), "entry_hash": fields["entry-hash"], "kind": fields["kind"], "record": fields["record"]})
    return out


def check_receipts(response, kinds: list[str], records: list[str] | None = None, prover=None) -> list[dict]:
    """The receipts answered in the JSON and the header agree, name the entries the write made, and prove."""
    receipts = response.json()["receipts"]
    assert [r["kind"] for r in receipts] == kinds, receipts
    if records is not None:
        assert [r["record"] for r in receipts] == records
    assert parse_header(response.headers["Sulh-Receipt"]) == receipts
    size = ledger.tree_size()
    for r in receipts:
        entry = LogEntry.objects.get(index=r["leaf_index"])
        body = bytes(entry.body)
        assert merkle.leaf_hash(body).hex() == r["entry_hash"] == entry.entry_hash
        e = json.loads(body)
        assert (e["kind"], f"{e['record']['type']}:{e['record']['id']}") == (r["kind"], r["record"])
        if prover is not None:
            p = prover.get("/ledger/proof/inclusion", entry_hash=r["entry_hash"]).json()
            assert p["leaf_index"] == r["leaf_index"] and p["tree_size"] == size
            merkle.verify_inclusion(
                bytes.fromhex(r["entry_hash"]), r["leaf_index"], size, [base64.b64decode(h) for h in p["proof"]],
                base64.b64decode(p["root"]),
            )  # fmt: skip
    return receipts


def upload(client, path, content=JPEG, headers=None, **meta):
    f = SimpleUploadedFile("photo.jpg", content, content_type="application/octet-stream")
    return client.post(path, data={"file": f, **meta}, headers=headers)


# --- every write endpoint ----------------------------------------------------------------------------


def test_every_write_endpoint_answers_receipts_that_prove(clients):
    pak, afg, qat = clients["pak_liaison"], clients["afg_liaison"], clients["qat_lead"]
    prover = clients["qat_verifier"]

    r = pak.post("/incidents", incident_payload(audience="parties"))
    assert r.status_code == 201
    inc, claim = r.json()["incident"], r.json()["claim"]
    check_receipts(r, ["incident.registered", "claim.filed"], [f"incident:{inc['id']}", f"claim:{claim['id']}"], prover)

    r = afg.post(f"/incidents/{inc['id']}/claims", claim_payload(point=SPIN_BOLDAK, alleged_violator="PAK", file=False))
    assert r.status_code == 201
    draft = r.json()
    check_receipts(r, ["claim.drafted"], [f"claim:{draft['id']}"], prover)

    r = afg.put(f"/claims/{draft['id']}", claim_payload(point=SPIN_BOLDAK, alleged_violator="PAK", deaths_a=2, file=False))
    assert r.status_code == 200, r.content
    check_receipts(r, ["claim.draft_updated"], [f"claim:{draft['id']}"], prover)

    r = afg.post(f"/claims/{draft['id']}/file")
    assert r.status_code == 200
    check_receipts(r, ["claim.filed"], [f"claim:{draft['id']}"], prover)

    r = pak.post(f"/claims/{claim['id']}/amend", claim_payload(deaths_a=26))
    assert r.status_code == 201, r.content
    amended = r.json()
    check_receipts(r, ["claim.amended"], [f"claim:{amended['id']}"], prover)

    r = afg.post(f"/claims/{draft['id']}/withdraw")
    assert r.status_code == 200
    check_receipts(r, ["claim.withdrawn"], [f"claim:{draft['id']}"], prover)

    r = qat.post(f"/incidents/{inc['code']}/publish")
    assert r.status_code == 200, r.content
    check_receipts(r, ["incident.published"], [f"incident:{inc['id']}"], prover)

    r = upload(pak, f"/incidents/{inc['code']}/evidence", description="the post")
    assert r.status_code == 201, r.content
    check_receipts(r, ["evidence.attached"], [f"evidence:{r.json()['id']}"], prover)

    r = upload(pak, f"/claims/{amended['id']}/evidence", content=JPEG + b"\x01")
    assert r.status_code == 201, r.content
    check_receipts(r, ["evidence.attached"], [f"evidence:{r.json()['id']}"], prover)

    # Every one of those writes left the rows exactly as logged.
    ledger.sign_checkpoint()
    assert verify_database().code == 0


def test_receipts_are_in_log_order_and_each_entry_is_named_once(clients):
    pak = clients["pak_liaison"]
    seen = []
    for i in range(3):
        r = pak.post("/incidents", incident_payload(deaths_a=i))
        seen += check_receipts(r, ["incident.registered", "claim.filed"])
    indices = [r["leaf_index"] for r in seen]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    assert indices == list(range(indices[0], indices[0] + 6))


# --- replays ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["incident", "claim", "amend", "evidence"])
def test_an_idempotent_replay_answers_the_same_receipts(clients, endpoint):
    pak = clients["pak_liaison"]
    first = pak.post("/incidents", incident_payload()).json()
    inc, claim = first["incident"], first["claim"]
    headers = {"Idempotency-Key": f"retry-{endpoint}"}

    def send():
        if endpoint == "incident":
            return pak.post("/incidents", incident_payload(deaths_a=1), headers=headers)
        if endpoint == "claim":
            return pak.post(f"/incidents/{inc['id']}/claims", claim_payload(deaths_a=2), headers=headers)
        if endpoint == "amend":
            return pak.post(f"/claims/{claim['id']}/amend", claim_payload(deaths_a=3), headers=headers)
        return upload(pak, f"/incidents/{inc['id']}/evidence", headers=headers)

    a = send()
    assert a.status_code == 201, a.content
    receipts = check_receipts(a, {"incident": ["incident.registered", "claim.filed"], "claim": ["claim.filed"],
                                  "amend": ["claim.amended"], "evidence": ["evidence.attached"]}[endpoint])  # fmt: skip
    size = ledger.tree_size()
    counts = (Incident.objects.count(), Claim.objects.count(), Evidence.objects.count())
    b = send()
    assert b.status_code == 201 and b.headers.get("Idempotent-Replayed") == "true"
    assert b.json()["receipts"] == receipts
    assert b.json() == a.json()
    assert ledger.tree_size() == size
    assert (Incident.objects.count(), Claim.objects.count(), Evidence.objects.count()) == counts
    if "Sulh-Receipt" in b.headers:  # a replay wrote nothing; if it repeats the header, it repeats it exactly
        assert parse_header(b.headers["Sulh-Receipt"]) == receipts


# --- refusals -----------------------------------------------------------------------------------------


@contextmanager
def nothing_written():
    size = ledger.tree_size()
    counts = (Incident.objects.count(), Claim.objects.count(), Evidence.objects.count(), ApiToken.objects.count())
    yield
    assert ledger.tree_size() == size
    assert LogEntry.objects.count() == size
    assert (Incident.objects.count(), Claim.objects.count(), Evidence.objects.count(), ApiToken.objects.count()) == counts


def test_refused_requests_leave_no_entry_no_record_and_no_receipt(clients):
    pak, afg, public = clients["pak_liaison"], clients["afg_liaison"], clients["public"]
    made = pak.post("/incidents", incident_payload(audience="parties"), headers={"Idempotency-Key": "k"}).json()
    inc, claim = made["incident"], made["claim"]
    draft = afg.post(f"/incidents/{inc['id']}/claims", claim_payload(point=SPIN_BOLDAK, file=False)).json()
    refusals = [
        (lambda: pak.post("/incidents", incident_payload(alleged_violator="XYZ")), 422),
        (lambda: public.post("/incidents", incident_payload()), 403),
        (lambda: pak.post("/incidents", incident_payload(deaths_a=1), headers={"Idempotency-Key": "k"}), 409),
        (lambda: pak.post(f"/incidents/{inc['id']}/claims", claim_payload(clause="NOPE")), 422),
        (lambda: pak.post(f"/claims/{claim['id']}/file"), 422),  # already filed
        (lambda: pak.put(f"/claims/{claim['id']}", claim_payload()), 422),  # filed claims are frozen
        (lambda: afg.post(f"/claims/{draft['id']}/amend", claim_payload(point=SPIN_BOLDAK)), 422),  # a draft
        (lambda: pak.post(f"/claims/{draft['id']}/withdraw"), 404),  # not theirs to see
        (lambda: afg.post(f"/claims/{claim['id']}/withdraw"), 403),  # seen, not theirs
        (lambda: afg.post(f"/incidents/{inc['id']}/publish"), 403),
        (lambda: upload(pak, f"/incidents/{inc['id']}/evidence", content=b"\x7fELF" + b"\x00" * 64), 422),
        (lambda: upload(pak, f"/claims/{draft['id']}/evidence"), 404),
    ]
    for send, status in refusals:
        with nothing_written():
            r = send()
        assert r.status_code == status, (status, r.status_code, r.content)
        assert "Sulh-Receipt" not in r.headers, r.headers["Sulh-Receipt"]
    pak.post(f"/claims/{claim['id']}/withdraw")
    with nothing_written():
        r = pak.post(f"/claims/{claim['id']}/withdraw")
    assert r.status_code == 422 and "Sulh-Receipt" not in r.headers
    ledger.sign_checkpoint()
    assert verify_database().code == 0


def test_a_write_refused_after_its_append_gives_back_no_receipt(clients, monkeypatch):
    """A refusal raised later in the transaction that already appended: the entry rolls back with it, and
    the answer carries no receipt for a leaf index that the next write will take."""
    from sulh.core.errors import ValidationFailed
    from sulh.incidents import services as incidents

    pak = clients["pak_liaison"]
    inc = pak.post("/incidents", incident_payload()).json()["incident"]

    def refuse(incident, save_fields=()):
        raise ValidationFailed("refused after the claim was logged", field="incident")

    monkeypatch.setattr(incidents, "_touch", refuse)
    with nothing_written():
        r = pak.post(f"/incidents/{inc['id']}/claims", claim_payload(deaths_a=1))
    assert r.status_code == 422
    assert "Sulh-Receipt" not in r.headers, r.headers.get("Sulh-Receipt")


def test_a_lost_idempotency_race_answers_only_the_winners_receipts(clients, monkeypatch):
    """Two requests with one Idempotency-Key: the loser appends, then finds the winner's stored answer when
    it saves its own, rolls back and replays. Its header must not name the entries it rolled back."""
    from sulh.core import idempotency

    pak = clients["pak_liaison"]
    headers = {"Idempotency-Key": "race"}
    won = pak.post("/incidents", incident_payload(), headers=headers)
    assert won.status_code == 201

    real = idempotency.IdempotencyKey

    class Missed:
        """The loser's first look finds nothing: the winner had not committed yet."""

        DoesNotExist = real.DoesNotExist
        fingerprint = staticmethod(real.fingerprint)

        class objects:  # noqa: N801
            @staticmethod
            def filter(**kw):
                return real.objects.none()

            create = staticmethod(real.objects.create)
            get = staticmethod(real.objects.get)

    monkeypatch.setattr(idempotency, "IdempotencyKey", Missed)
    with nothing_written():
        lost = pak.post("/incidents", incident_payload(), headers=headers)
    assert lost.status_code == 201 and lost.headers.get("Idempotent-Replayed") == "true"
    assert lost.json() == won.json()
    if "Sulh-Receipt" in lost.headers:
        assert parse_header(lost.headers["Sulh-Receipt"]) == won.json()["receipts"]


def test_revoking_a_token_is_logged(clients, users):
    """DELETE /auth/token/{id} changes an api_token row: through the log, or verify would call it tampering."""
    from sulh.conftest import ApiClient

    extra = ApiClient(users["pak_analyst"])
    token = ApiToken.objects.filter(user=users["pak_analyst"]).get()
    size = ledger.tree_size()
    r = extra.delete(f"/auth/token/{token.pk}")
    assert r.status_code == 204
    assert ledger.tree_size() == size + 1
    entry = ledger.history("api_token", str(token.pk))[-1]
    assert entry.kind == "api_token.updated"
    assert [x["record"] for x in parse_header(r.headers["Sulh-Receipt"])] == [f"api_token:{token.pk}"]
    ledger.sign_checkpoint()
    assert verify_database().code == 0
