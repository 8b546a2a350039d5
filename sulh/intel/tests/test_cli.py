"""`sulh intel`: keys made on the desk's machine (0600, never overwritten), and the whole exchange from two
desks' terminals — send, inbox, open, ack, answer — against the real API (Django's test client carries the
requests in-process instead of a socket); a desk that pins the charter's keys refuses a report whose signing
key the server swapped."""

import io
import json
import stat
from pathlib import Path

import pytest
from django.test import Client as DjangoClient

from sulh.accounts.models import ApiToken
from sulh.charter.keyed import Keyring, make_keys, write_keyed_charter
from sulh.hotline.cli import Answer, Client, Unreachable, _detail, _server_time
from sulh.intel import cli, crypto
from sulh.intel.models import Report

from .helpers import MARKER


class InProcess(Client):
    """The CLI's HTTP client, speaking to the Django app through its test client instead of a socket."""

    def __init__(self, url, token, timeout=30.0):
        super().__init__(url, token, timeout)
        self.dj = DjangoClient(HTTP_AUTHORIZATION=f"Bearer {token}")

    def call(self, method, path, payload=None, headers=None):
        body = json.dumps(payload) if payload is not None else ""
        resp = self.dj.generic(method, f"/api/v1/{path.lstrip('/')}", body, content_type="application/json",
                               headers=headers or {})  # fmt: skip
        if 400 <= resp.status_code < 500:
            raise _detail(resp.status_code, resp.content)
        if resp.status_code >= 500:
            raise Unreachable(f"HTTP {resp.status_code}")
        return Answer(
            resp.status_code, resp.headers, json.loads(resp.content or b"null"), _server_time(resp.headers)
        )


def _desk(tmp_path: Path, ring, org: str) -> Path:
    """A desk's key folder holding the keys its keygen would have made (the keyed charter names them)."""
    d = tmp_path / org
    d.mkdir(mode=0o700)
    (d / f"{org}.x25519").write_text(ring[org].intel_private + "\n")
    (d / f"{org}.signer").write_text(ring[org].intel_signer_key + "\n")
    for p in d.iterdir():
        p.chmod(0o600)
    return d


def _run(user, key_dir: Path, *args) -> tuple[int, str]:
    token = ApiToken.issue(user, "cli")[1]
    out, err = io.StringIO(), io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        rc = cli.main(["--token", token, "--dir", str(key_dir), *args], out=out, client_factory=InProcess)
    return rc, out.getvalue() + err.getvalue()


def test_keygen_writes_private_files_0600_and_never_overwrites(tmp_path, capsys):
    d = tmp_path / "keys"
    assert cli.main(["keygen", "--org", "pak", "--dir", str(d)]) == 0
    line = capsys.readouterr().out.strip()
    for name in ("PAK.x25519", "PAK.signer"):
        assert stat.S_IMODE((d / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    # The printed public halves match the private ones, in the charter's `intel.keys` form.
    priv = (d / "PAK.x25519").read_text().strip()
    assert f'encryption: "{crypto.public_of(priv)}"' in line and line.startswith("- {org: PAK,")
    from sulh.ledger.note import parse_signer_key

    assert f'signing: "{parse_signer_key((d / "PAK.signer").read_text()).verifier_key()}"' in line
    before = (d / "PAK.x25519").read_bytes()
    assert cli.main(["keygen", "--org", "PAK", "--dir", str(d)]) == 1
    assert "not overwritten" in capsys.readouterr().err
    assert (d / "PAK.x25519").read_bytes() == before


@pytest.mark.django_db
def test_send_inbox_open_ack_answer_between_two_desks(keyed_charter, users, tmp_path):
    ring = keyed_charter
    pak, afg, qat = (_desk(tmp_path, ring, o) for o in ("PAK", "AFG", "QAT"))
    evidence = tmp_path / "drone-still.jpg"
    evidence.write_bytes(b"\xff\xd8\xff fake jpeg bytes of a compound")
    rc, text = _run(users["pak_liaison"], pak, "send", "--to", "AFG", "--classification", "MECHANISM-RESTRICTED",
                    "--group", "TTP", "--what", MARKER, "--where-lat", "34.15", "--where-lon", "70.91",
                    "--precision-m", "500", "--when", "2025-11-02T22:00+04:30/2025-11-03T04:00+04:30",
                    "--action", "Interdict before crossing", "--material", str(evidence))  # fmt: skip
    assert rc == 0, text
    r = Report.objects.get()
    assert r.code in text and "sealed for  AFG, QAT, TUR" in text
    assert MARKER not in r.envelope

    rc, text = _run(users["afg_liaison"], afg, "inbox")
    assert rc == 0 and r.code in text and "acknowledge by" in text
    out_dir = tmp_path / "material"
    rc, text = _run(users["afg_liaison"], afg, "open", str(r.pk), "--save-material", str(out_dir))
    assert rc == 0, text
    assert MARKER in text and "verified" in text and "within 500 m" in text
    assert (out_dir / "drone-still.jpg").read_bytes() == evidence.read_bytes()
    # The sender's desk holds no key for it: PAK cannot open its own report once sent.
    rc, text = _run(users["pak_liaison"], pak, "open", r.code)
    assert rc == 0 and "not for PAK" in text and MARKER not in text

    assert _run(users["afg_liaison"], afg, "ack", r.code)[0] == 0
    rc, text = _run(users["afg_commander"], afg, "answer", r.code, "--category", "action_taken",
                    "--detail", "Compound searched 02:10; three detained.")  # fmt: skip
    assert rc == 0, text
    # The sender and a mediator read the answer's detail on their own machines.
    rc, text = _run(users["pak_liaison"], pak, "open", r.code)
    assert rc == 0 and "three detained" in text and MARKER not in text  # the answer, not the report
    rc, text = _run(users["qat_verifier"], qat, "open", r.code)
    assert rc == 0 and MARKER in text and "three detained" in text and "action_taken" in text


@pytest.mark.django_db
def test_a_desk_pinning_the_charter_refuses_keys_the_server_swapped(
    charter_keyring, users, tmp_path, settings
):
    ring, shipped = charter_keyring, settings.SULH_CHARTER
    settings.SULH_CHARTER = str(ring.path)
    pak, afg = _desk(tmp_path, ring, "PAK"), _desk(tmp_path, ring, "AFG")
    rc, text = _run(users["pak_liaison"], pak, "send", "--to", "AFG", "--classification", "MECHANISM-RESTRICTED",
                    "--group", "TTP", "--what", MARKER, "--area",
                    '{"type": "Polygon", "coordinates": [[[70.9, 34.1], [71.0, 34.1], [71.0, 34.2], [70.9, 34.1]]]}',
                    "--when", "2025-11-02T22:00+04:30", "--action", "Search the area",
                    "--charter", str(ring.path))  # fmt: skip
    assert rc == 0, text
    r = Report.objects.get()
    # Pinned to the agreed charter: opens.
    rc, text = _run(users["afg_liaison"], afg, "open", r.code, "--charter", str(ring.path))
    assert rc == 0 and MARKER in text
    # A local charter naming another PAK signing key (as if the server's copy were swapped): refused.
    other = Keyring(dict(ring.orgs))
    other.orgs["PAK"] = make_keys("PAK")
    forged = write_keyed_charter(shipped, tmp_path / "other.yaml", other)
    rc, text = _run(users["afg_liaison"], afg, "open", r.code, "--charter", str(forged))
    assert rc == 1 and "NOT TRUSTED" in text and MARKER not in text


def test_refusals_without_a_server(tmp_path):
    assert cli.main(["--dir", str(tmp_path), "inbox"]) == 1  # no token
    with pytest.raises(SystemExit) as exc:
        cli.main(["--token", "x", "answer", "ID", "--category", "bombed_them", "--detail", "x"])
    assert exc.value.code == 1
