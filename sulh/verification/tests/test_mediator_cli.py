"""`sulh mediator`: the mediators' signing tool against a real `sulh serve` (a subprocess on a scratch file
SQLite database). Keys are made by the tool in a scratch HOME, registered, and two mediators' signatures
publish a finding; a statement altered on its way is refused before anything is signed; the server's
refusals exit 1 with its reason, an unreachable server exits 2."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

from sulh.hotline.tests.live_server import ServeProcess, free_port, sulh_command
from sulh.verification import mediator_cli
from sulh.verification.mediator_cli import Mismatch, check_statement

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = ROOT / ".venv" / "bin"

# Mediators' staff (QAT, TUR), the mediators' lead (who registers no key) and a party's liaison officer;
# three findings frozen for signing, one per test that signs.
SETUP = r"""
import datetime as dt, json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
django.setup()
from django.utils import timezone
from sulh.accounts.models import ApiToken, Organisation, User
from sulh.verification import findings
from sulh.verification.models import Case
orgs = {o.code: o for o in Organisation.objects.all()}
people = {"qat_verifier": ("QAT", "verifier"), "tur_analyst": ("TUR", "analyst"), "qat_lead": ("QAT", "mediator_lead"),
          "pak_liaison": ("PAK", "liaison_officer")}
users, tokens = {}, {}
for name, (org, role) in people.items():
    users[name] = User.objects.create(username=name, organisation=orgs[org], role=role)
    tokens[name] = ApiToken.issue(users[name], "mediator-cli-test")[1]
pk = dt.timezone(dt.timedelta(hours=5))
ids = {}
for i, label in enumerate(("publish", "tamper", "refuse"), start=1):
    case = Case.objects.create(code=f"CASE-2025-11-{i:04d}", reason="Mortar fire reported by both sides.",
                               opened_by=users["qat_lead"], finding_due_at=timezone.now() + dt.timedelta(days=30))
    f = findings.draft_finding(
        users["qat_verifier"], case.code, outcome="verified", responsible="AFG", confidence="PROBABLE",
        clause="DOHA-2025/2", date_start=dt.datetime(2025, 10, 24, 22, 30, tzinfo=pk),
        date_end=dt.datetime(2025, 10, 25, 1, 0, tzinfo=pk), latitude=34.0988, longitude=71.1453, place="Landi Kotal",
        deaths_low=0, deaths_best=0, deaths_high=1, injured_low=0, injured_best=1, injured_high=2,
        reasoning="Two independent sources agree on time, place and the direction of fire.")
    findings.submit_for_signing(users["qat_verifier"], f.pk)
    ids[label] = str(f.pk)
print(json.dumps({"tokens": tokens, "findings": ids}))
"""


_sulh = sulh_command


class Server:
    def __init__(self, tmp: Path):
        self.dir = tmp
        drop = (
            "DATABASE_URL",
            "SULH_EVIDENCE_DIR",
            "SULH_STATIC_ROOT",
            "SULH_URL",
            "SULH_TOKEN",
            "SULH_MEDIATOR_KEY",
        )
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(
            SULH_DATA_DIR=str(tmp / "data"), SULH_ALLOWED_HOSTS="127.0.0.1,localhost", SULH_LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="sulh.settings", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )  # fmt: skip
        self.server: ServeProcess | None = None

    def run(
        self, *cmd: str, stdin: str | None = None, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 -- our own commands
            list(cmd), env=env or self.env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=180
        )

    def start(self) -> Server:
        p = self.run(*_sulh(), "migrate", "--noinput")
        assert p.returncode == 0, p.stderr[-3000:]
        p = self.run(str(VENV_BIN / "python"), "-c", SETUP)
        assert p.returncode == 0, p.stderr[-3000:]
        made = json.loads(p.stdout)
        self.tokens, self.findings = made["tokens"], made["findings"]
        self.server = ServeProcess(self.env, self.dir).start()
        self.port, self.url = self.server.port, self.server.url
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def home(self, user: str) -> Path:
        """Each mediator's own machine: a HOME of their own, where the key's default place is."""
        h = self.dir / "homes" / user
        h.mkdir(parents=True, exist_ok=True)
        return h

    def mediator(self, user: str, *args: str, stdin: str = "", url: str | None = None):
        """`sulh mediator ARGS` as `user`, configured by the environment, in their own HOME."""
        env = {k: v for k, v in self.env.items() if k not in ("DATABASE_URL", "SULH_DATA_DIR")}
        env.update(
            SULH_URL=url or self.url,
            SULH_TOKEN=self.tokens.get(user, "sulh_not-a-token"),
            HOME=str(self.home(user)),
        )
        return self.run(*_sulh(), "mediator", *args, stdin=stdin, env=env)

    def finding(self, fid: str, user: str = "qat_verifier") -> dict:
        req = urllib.request.Request(  # noqa: S310 -- our scratch server
            f"{self.url}/api/v1/findings/{fid}", headers={"Authorization": f"Bearer {self.tokens[user]}"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 -- our scratch server
            return json.loads(resp.read())


@pytest.fixture(scope="module")
def server():
    tmp = Path(tempfile.mkdtemp(prefix="sulh-mediator-cli-"))
    srv = Server(tmp)
    try:
        yield srv.start()
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _keyed(server: Server, user: str) -> str:
    """Make the user's key in their HOME (if not yet) and register it; the public half."""
    key = server.home(user) / ".config" / "sulh" / "mediator.key"
    if not key.exists():
        p = server.mediator(user, "keygen")
        assert p.returncode == 0, p.stderr
        p = server.mediator(user, "register")
        assert p.returncode == 0, p.stderr
    return mediator_cli.public_b64(mediator_cli.load_key(key))


# --- keygen ------------------------------------------------------------------------------------------------


def test_keygen_makes_a_private_key_readable_only_by_its_owner_and_never_overwrites(server):
    p = server.mediator("nobody_keygen", "keygen")
    assert p.returncode == 0, p.stderr
    path = server.home("nobody_keygen") / ".config" / "sulh" / "mediator.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pub = p.stdout.strip()
    assert mediator_cli.public_b64(mediator_cli.load_key(path)) == pub
    before = path.read_bytes()
    p = server.mediator("nobody_keygen", "keygen")
    assert p.returncode == 1 and "already exists: it is not overwritten" in p.stderr
    assert path.read_bytes() == before
    # --key-file elsewhere makes a second, different key.
    other = server.dir / "elsewhere" / "k.key"
    p = server.mediator("nobody_keygen", "keygen", "--key-file", str(other))
    assert p.returncode == 0 and p.stdout.strip() != pub
    assert stat.S_IMODE(other.stat().st_mode) == 0o600


# --- register, show, sign: two mediators publish ------------------------------------------------------------


def test_two_mediators_register_check_and_sign_and_the_finding_is_published(server):
    fid = server.findings["publish"]
    p = server.mediator("qat_verifier", "keygen")
    assert p.returncode == 0, p.stderr
    p = server.mediator("qat_verifier", "register")
    assert p.returncode == 0, p.stderr
    assert (
        "registered" in p.stdout and "for qat_verifier" in p.stdout and "mediator_key.registered" in p.stdout
    )
    qat = _keyed(server, "qat_verifier")
    tur = _keyed(server, "tur_analyst")

    shown = server.finding(fid)
    p = server.mediator("qat_verifier", "show", fid)
    assert p.returncode == 0, p.stderr
    for text in ("outcome     verified", "responsible AFG", "confidence  PROBABLE", "clause      DOHA-2025/2",
                 "Landi Kotal", "Two independent sources agree", "signatures  none yet", "dissents    none",
                 f"sha256 {shown['statement_sha256']}", "the statement served now matches"):  # fmt: skip
        assert text in p.stdout, (text, p.stdout)

    # Not confirmed: nothing is signed.
    p = server.mediator("qat_verifier", "sign", fid, stdin="no\n")
    assert p.returncode == 1 and "not signed: the finding was not confirmed" in p.stderr
    assert server.finding(fid)["signatures"] == []

    p = server.mediator("qat_verifier", "sign", fid, stdin="yes\n")
    assert p.returncode == 0, p.stderr
    assert "checked     the statement" in p.stdout and "SIGNING, 1 signature(s)" in p.stdout
    assert "finding.signed" in p.stdout  # the receipts
    # Signing twice is refused here, before the server is asked.
    p = server.mediator("qat_verifier", "sign", fid, "--yes")
    assert p.returncode == 1 and "already signed" in p.stderr

    p = server.mediator("tur_analyst", "sign", fid, "--yes")
    assert p.returncode == 0, p.stderr
    assert "PUBLISHED, 2 signature(s), published" in p.stdout and "finding.published" in p.stdout

    done = server.finding(fid)
    assert done["state"] == "published"
    assert [(s["signer"], s["key"]) for s in done["signatures"]] == [
        ("qat_verifier", qat),
        ("tur_analyst", tur),
    ]
    # A published finding is not awaiting signatures: the tool says so without asking the server to sign.
    p = server.mediator(
        "qat_lead",
        "sign",
        fid,
        "--yes",
        "--key-file",
        str(server.home("qat_verifier") / ".config/sulh/mediator.key"),
    )
    assert p.returncode == 1 and "not signed: the finding is published" in p.stderr


# --- a statement altered on its way is refused before signing -----------------------------------------------


def _in_process(server: Server, user: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    key = server.home(user) / ".config" / "sulh" / "mediator.key"
    argv = ["--url", server.url, "--token", server.tokens[user], "--key-file", str(key), *args]
    with contextlib.redirect_stderr(err):
        rc = mediator_cli.main(argv, out=out)
    return rc, out.getvalue(), err.getvalue()


def test_a_statement_altered_in_transit_is_refused_before_signing(server, monkeypatch):
    fid = server.findings["tamper"]
    _keyed(server, "qat_verifier")
    real_fetch = mediator_cli.fetch_statement
    posted: list[str] = []

    # 1. The body is altered: its hash is not the one the finding was frozen with.
    def altered(c, ref):
        return real_fetch(c, ref).replace(b'"responsible":"AFG"', b'"responsible":"PAK"')

    monkeypatch.setattr(mediator_cli, "fetch_statement", altered)
    rc, out, err = _in_process(server, "qat_verifier", "sign", fid, "--yes")
    assert rc == 1 and "NOT SIGNED" in err and "SHA-256" in err, err
    assert "responsible AFG" in out  # what was displayed

    # 2. Whoever alters it also alters the hash shown: the fields no longer match the finding displayed.
    forged = real_fetch(mediator_cli.Client(server.url, server.tokens["qat_verifier"]), fid).replace(
        b'"responsible":"AFG"', b'"responsible":"PAK"'
    )
    real_call = mediator_cli.Client.call

    def lying_call(self, method, path, payload=None, headers=None):
        if method == "POST":
            posted.append(path)
        ans = real_call(self, method, path, payload, headers)
        if method == "GET" and path == f"findings/{fid}":
            ans.body["statement_sha256"] = hashlib.sha256(forged).hexdigest()
        return ans

    monkeypatch.setattr(mediator_cli, "fetch_statement", lambda c, ref: forged)
    monkeypatch.setattr(mediator_cli.Client, "call", lying_call)
    rc, out, err = _in_process(server, "qat_verifier", "sign", fid, "--yes")
    assert (
        rc == 1 and "NOT SIGNED: the statement's responsible is 'PAK', the finding shown has 'AFG'" in err
    ), err
    assert posted == []  # no signature was sent
    assert server.finding(fid)["signatures"] == []

    # Untouched, the same command signs.
    monkeypatch.undo()
    rc, out, err = _in_process(server, "qat_verifier", "sign", fid, "--yes")
    assert rc == 0, err
    assert len(server.finding(fid)["signatures"]) == 1


def test_check_statement_refuses_what_is_not_the_finding_shown():
    finding = {
        "id": "f1", "case": "CASE-1", "supersedes": None, "outcome": "not_verified", "responsible": "",
        "confidence": "", "clause": "", "date_start": "2025-10-24T17:30:00Z", "date_end": None, "latitude": 34.5,
        "longitude": 71.0, "place": "", "deaths_low": None, "deaths_best": 1, "deaths_high": None, "injured_low": None,
        "injured_best": None, "injured_high": None, "reasoning": "r",
    }  # fmt: skip
    stmt = {k: v for k, v in finding.items()}
    stmt.update(date_start="2025-10-24T17:30:00.000000Z", charter_origin="sulh.example/af-pak")

    def body(d):
        return json.dumps(d, separators=(",", ":"), sort_keys=True).encode()

    good = body(stmt)
    shown = {**finding, "statement_sha256": hashlib.sha256(good).hexdigest()}
    assert check_statement(good, shown)["charter_origin"] == "sulh.example/af-pak"
    assert check_statement(
        good, finding
    )  # a server that does not show the hash: the fields are still checked
    cases = [
        ({**stmt, "deaths_best": "1"}, "deaths_best"),  # a string is not the number shown
        ({**stmt, "deaths_best": True}, "deaths_best"),
        ({**stmt, "date_start": "2025-10-24T17:30:01Z"}, "date_start"),
        ({**stmt, "reasoning": "r "}, "reasoning"),
        ({**stmt, "case": "CASE-2"}, "case"),
        ({**stmt, "note": "and PAK pays"}, "extra: ['note']"),
        ({k: v for k, v in stmt.items() if k != "supersedes"}, "missing: ['supersedes']"),
    ]
    for changed, why in cases:
        with pytest.raises(Mismatch, match=why.replace("[", r"\[").replace("]", r"\]")):
            check_statement(body(changed), finding)
    with pytest.raises(Mismatch, match="SHA-256"):
        check_statement(body({**stmt, "place": "x"}), shown)
    with pytest.raises(Mismatch, match="twice"):
        check_statement(good[:-1] + b',"outcome":"verified"}', finding)
    with pytest.raises(Mismatch, match="not been submitted"):
        check_statement(good, {**finding, "statement_sha256": ""})


# --- refusals ----------------------------------------------------------------------------------------------


def test_refusals_exit_1_with_the_servers_reason_unreachable_exits_2(server):
    fid = server.findings["refuse"]
    # A party's officer may not register a mediator's key, nor see a finding being signed.
    assert server.mediator("pak_liaison", "keygen").returncode == 0
    p = server.mediator("pak_liaison", "register")
    assert p.returncode == 1 and "refused (HTTP 403): only the mediators register signing keys" in p.stderr
    p = server.mediator("pak_liaison", "show", fid)
    assert p.returncode == 1 and f"refused (HTTP 404): no finding '{fid}'" in p.stderr
    # A mediator whose key is made but not registered: the server's 409 and its reason; nothing signed.
    assert server.mediator("qat_lead", "keygen").returncode == 0
    p = server.mediator("qat_lead", "sign", fid, "--yes")
    assert p.returncode == 1
    assert (
        "refused (HTTP 409): you have no active signing key: register your public key first (field: signature)"
        in p.stderr
    )
    assert server.finding(fid)["signatures"] == []
    # The same key registered twice.
    assert server.mediator("qat_lead", "register").returncode == 0
    p = server.mediator("qat_lead", "register")
    assert p.returncode == 1 and "refused (HTTP 409): this public key is already registered" in p.stderr
    # No key at all, no token, a bad token: refusals (1).
    p = server.mediator("tur_nobody", "sign", fid, "--yes")
    assert p.returncode == 1 and "no key at" in p.stderr and "sulh mediator keygen" in p.stderr
    p = server.mediator("nobody", "show", fid)
    assert p.returncode == 1 and "refused (HTTP 401)" in p.stderr
    # Nobody answers at that address: 2, retrying may help.
    dead = f"http://127.0.0.1:{free_port()}"
    p = server.mediator("qat_lead", "show", fid, url=dead)
    assert p.returncode == 2 and f"cannot reach {dead}" in p.stderr
