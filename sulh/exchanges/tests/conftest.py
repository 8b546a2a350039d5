import datetime as dt

import pytest
from django.utils import timezone

from sulh.exchanges import services

NAMES = {"AFG": ["Demo Person Alpha Khan", "Demo Person Bravo Zadran"], "PAK": ["Demo Person Charlie Afridi",
                                                                          "Demo Person Delta Wazir"]}  # fmt: skip
ID_NUMBERS = {"AFG": ["TZK-1400-55501", "TZK-1400-55502"], "PAK": ["35202-1111111-1", "35202-2222222-2"]}


@pytest.fixture(autouse=True)
def exchanges_key(tmp_path, monkeypatch):
    """Each test gets its own data key file (outside the database), made on first use."""
    path = tmp_path / "keys" / "exchanges.key"
    monkeypatch.setenv("SULH_EXCHANGES_KEY_FILE", str(path))
    return path


@pytest.fixture
def exchange(users):
    return services.open_exchange(users["qat_lead"], title="Istanbul humanitarian exchange",
                                  agreement="ISTANBUL-2025-10-30")  # fmt: skip


def fill(users, ex, party: str, *, submit: bool = True, count: int = 2):
    who = users[f"{party.lower()}_liaison"]
    persons = []
    for i in range(count):
        name = NAMES[party][i] if i < len(NAMES[party]) else f"Demo Person {party} {i + 1}"
        idn = ID_NUMBERS[party][i] if i < len(ID_NUMBERS[party]) else f"{party}-ID-{i + 1:05d}"
        persons.append(services.add_person(
            who, ex.code, party, full_name=name, id_number=idn, age_band="30_44", sex="male",
            nationality=party, place_of_detention=f"Demo prison {party}", date_of_detention="2025-10-14",
        ))  # fmt: skip
    if submit:
        services.submit_list(who, ex.code, party)
    return persons


def release_and_confirm(users, ex, person, *, confirm: bool = True):
    party = person.list.party
    other = "PAK" if party == "AFG" else "AFG"
    r = services.record_release(users[f"{party.lower()}_liaison"], ex.code, reference=person.reference,
                                released_at=timezone.now() - dt.timedelta(hours=1), handed_over_at="Torkham zero point")  # fmt: skip
    if confirm:
        services.confirm_release(users[f"{other.lower()}_liaison"], ex.code, r.pk)
        services.confirm_release(users["jmt_monitor"], ex.code, r.pk)
    return r
