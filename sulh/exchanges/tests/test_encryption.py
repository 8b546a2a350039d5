"""Encryption at rest: no name or identity number anywhere in a dump of the database (the log, idempotent
replays and every other table included), ciphertexts bound to their row and field, the key file's mode."""

import os
import stat

import pytest
from django.db import connection

from sulh.exchanges import crypto, services
from sulh.exchanges.models import Person
from sulh.ledger.models import LogEntry

from .conftest import ID_NUMBERS, NAMES, fill, release_and_confirm

pytestmark = pytest.mark.django_db

SECRETS = [s for v in NAMES.values() for s in v] + [s for v in ID_NUMBERS.values() for s in v]


def _dump() -> bytes:
    """Every value of every column of every table, as bytes: what a database dump would show."""
    out = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 -- table names from introspection
            for row in cur.fetchall():
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, memoryview | bytes | bytearray):
                        out.append(bytes(value))
                    else:
                        out.append(str(value).encode())
    return b"\n".join(out)


def test_a_database_dump_holds_no_name_and_no_identity_number(users, exchange, api):
    afg = fill(users, exchange, "AFG", submit=False)
    # Through the API too, with an Idempotency-Key: the stored replay must not carry the name either.
    r = api("pak_liaison").post(
        f"/exchanges/{exchange.code}/lists/PAK/persons",
        {"full_name": NAMES["PAK"][0], "id_number": ID_NUMBERS["PAK"][0], "age_band": "18_29", "sex": "male"},
        headers={"Idempotency-Key": "pak-person-1"},
    )
    assert r.status_code == 201, r.content
    assert NAMES["PAK"][0] not in r.content.decode()
    api("pak_liaison").post(f"/exchanges/{exchange.code}/lists/PAK/persons",
                            {"full_name": NAMES["PAK"][1], "id_number": ID_NUMBERS["PAK"][1]})  # fmt: skip
    services.update_person(
        users["afg_liaison"], exchange.code, "AFG", afg[0].reference, id_number=ID_NUMBERS["AFG"][0]
    )
    services.submit_list(users["afg_liaison"], exchange.code, "AFG")
    release_and_confirm(users, exchange, afg[0])
    # The mediators read the names (the server decrypts for them) ...
    page = api("qat_lead").get(f"/exchanges/{exchange.code}").content.decode()
    assert NAMES["AFG"][0] in page and ID_NUMBERS["AFG"][0] in page
    # ... and yet none is in the database, in any encoding a dump would show.
    dump = _dump()
    assert len(dump) > 10_000 and exchange.code.encode() in dump  # the dump did read the tables
    for secret in SECRETS:
        for form in (secret, secret.upper(), secret.lower()):
            assert form.encode() not in dump, secret
            assert form.encode("utf-16-le") not in dump, secret
            assert form.encode().hex().encode() not in dump, secret
    # The log's entries hold a commitment only; the content it commits to (with the ciphertexts) has no name.
    assert LogEntry.objects.filter(record_type="exchange_person").count() >= 5
    for body in LogEntry.objects.values_list("body", flat=True):
        for secret in SECRETS:
            assert secret.encode() not in bytes(body)


def test_ciphertext_is_bound_to_its_row_and_field(users, exchange):
    a1, a2 = fill(users, exchange, "AFG", submit=False)
    assert crypto.decrypt(a1.pk, "name", a1.name_ct) == NAMES["AFG"][0]
    with pytest.raises(crypto.CipherError, match="moved from another row"):
        crypto.decrypt(a2.pk, "name", a1.name_ct)
    with pytest.raises(crypto.CipherError):
        crypto.decrypt(a1.pk, "id_number", a1.name_ct)
    # Moved in the database: the mediators' view reports it unreadable instead of showing the wrong name.
    Person.objects.filter(pk=a2.pk).update(name_ct=a1.name_ct)
    services.submit_list(users["afg_liaison"], exchange.code, "AFG")
    view = services.view(users["qat_lead"], exchange)
    persons = {p["reference"]: p for p in view["lists"][0]["persons"]}
    assert persons[a1.reference]["full_name"] == NAMES["AFG"][0]
    assert (
        persons[a2.reference]["full_name"] is None
        and "does not decrypt" in persons[a2.reference]["unreadable"]
    )
    tampered = bytearray(bytes(a1.id_number_ct))
    tampered[-1] ^= 1
    with pytest.raises(crypto.CipherError):
        crypto.decrypt(a1.pk, "id_number", bytes(tampered))


def test_key_file_is_made_once_with_mode_0600_and_another_key_cannot_read(users, exchange, exchanges_key):
    assert not exchanges_key.exists()
    (a1,) = fill(users, exchange, "AFG", submit=False, count=1)
    assert stat.S_IMODE(exchanges_key.stat().st_mode) == 0o600
    key = exchanges_key.read_bytes()
    assert len(key) == 32 and key not in _dump()
    fill(users, exchange, "AFG", submit=False, count=1)
    assert exchanges_key.read_bytes() == key  # made once
    os.chmod(exchanges_key, 0o644)
    with pytest.raises(crypto.CipherError, match="readable by others"):
        crypto.decrypt(a1.pk, "name", a1.name_ct)
    os.chmod(exchanges_key, 0o600)
    exchanges_key.write_bytes(os.urandom(32))
    with pytest.raises(crypto.CipherError, match="another key"):
        crypto.decrypt(a1.pk, "name", a1.name_ct)
    exchanges_key.unlink()
    with pytest.raises(crypto.CipherError, match="no exchanges key"):
        crypto.decrypt(a1.pk, "name", a1.name_ct)


def test_default_key_path_is_under_the_data_dir(settings, monkeypatch, tmp_path):
    monkeypatch.delenv("SULH_EXCHANGES_KEY_FILE")
    settings.DATA_DIR = tmp_path
    assert crypto.key_path() == tmp_path / "keys" / "exchanges.key"
    ct = crypto.encrypt("row-1", "name", "Demo Person Foxtrot")
    assert crypto.decrypt("row-1", "name", ct) == "Demo Person Foxtrot"
    assert stat.S_IMODE((tmp_path / "keys" / "exchanges.key").stat().st_mode) == 0o600


def test_every_row_matches_its_log_entry_and_a_swapped_ciphertext_is_caught(users, exchange):
    """`sulh log verify --database`: the committed content includes the ciphertexts, so a name changed by
    rewriting a row (here: two persons' names swapped) is named, though the log never held a name."""
    from sulh.ledger.audit import check_records
    from sulh.ledger.verify import Report

    a1, a2 = fill(users, exchange, "AFG", submit=False)
    services.update_person(users["afg_liaison"], exchange.code, "AFG", a2.reference, sex="female")
    services.submit_list(users["afg_liaison"], exchange.code, "AFG")
    (p1,) = fill(users, exchange, "PAK", count=1)
    release_and_confirm(users, exchange, a1)
    release_and_confirm(users, exchange, p1)
    report = Report()
    check_records(report, LogEntry.objects.count())
    assert [p for p in report.problems if p.where.startswith("exchange")] == []
    Person.objects.filter(pk=a1.pk).update(name_ct=a2.name_ct)
    Person.objects.filter(pk=a2.pk).update(name_ct=a1.name_ct)
    report = Report()
    check_records(report, LogEntry.objects.count())
    assert {p.where for p in report.problems} >= {f"exchange_person {a1.pk}", f"exchange_person {a2.pk}"}
