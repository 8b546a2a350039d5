"""The demonstration documents load on top of the demo scenario: with the demo keys in the charter in force the
Istanbul joint statement is signed by all four and agreed (meeting its obligation), and verifies offline; without
them it is left frozen and unsigned. The next meeting's minutes are a draft."""

import io
from io import StringIO

import pytest
from django.core.management import call_command

from sulh.commitments.models import ObligationState
from sulh.demo import documents as demo_documents
from sulh.demo import keys as demo_keys
from sulh.documents import cli, services
from sulh.documents.models import Document, VersionState

pytestmark = pytest.mark.django_db


def test_demo_documents_on_top_of_the_demo(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the demo keys go under DATA_DIR/demo
    settings.SULH_CHARTER = str(demo_keys.write_demo_charter(settings.SULH_CHARTER))
    out = StringIO()
    call_command("demo", incidents=20, stdout=out)  # the scenario loads every demo part
    said = [x.strip().removeprefix("… ") for x in out.getvalue().splitlines() if "… documents:" in x]
    statement = Document.objects.get(kind="joint_statement", versions__title=demo_documents.STATEMENT_TITLE)
    v = statement.versions.get()
    assert v.state == VersionState.AGREED and v.signatures.count() == 4
    assert "paraphrases public reporting" in v.text
    assert demo_documents.obligation_for(statement).state == ObligationState.MET
    signed = tmp_path / "statement.txt"
    signed.write_text(services.signed_note(v))
    out = io.StringIO()
    assert cli.main(["verify", str(signed), "--charter", settings.SULH_CHARTER], out=out) == 0
    minutes = Document.objects.get(kind="minutes")
    assert minutes.versions.get().state == VersionState.DRAFT
    demo_documents.load(progress=said.append)  # idempotent
    assert Document.objects.count() == 2 and said[-1] == "documents: already loaded"


def test_without_demo_keys_the_statement_stays_unsigned(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("demo", incidents=20, stdout=out)  # the scenario loads every demo part
    said = [x.strip().removeprefix("… ") for x in out.getvalue().splitlines() if "… documents:" in x]
    v = Document.objects.get(kind="joint_statement").versions.get()
    assert v.state == VersionState.FROZEN and not v.signatures.exists()
    assert any("unsigned" in s for s in said)
    assert demo_documents.obligation_for(v.document).state == ObligationState.PENDING
