"""The exports stream under ASGI (`sulh serve`): each batch of rows is sent as soon as it is written.

Django serves a synchronous iterator under ASGI by reading it to the end first: a large export sat in
memory, and the client waited for the last row before it got the first byte. These tests drive the ASGI
application itself, as uvicorn does, and watch when each part of the body is sent.
"""

import asyncio
import csv
import io
import json

import pytest

from sulh.accounts.models import ApiToken
from sulh.asgi import application
from sulh.conftest import incident_payload
from sulh.incidents import export, services
from sulh.incidents.schemas import IncidentIn

pytestmark = pytest.mark.django_db(transaction=True)  # the ASGI handler reads on its own thread


def _asgi_get(path: str, token: str, query: str = "", on_part=None, on_end=None) -> tuple[int, list[bytes]]:
    """GET through the ASGI application; the status and the body as the parts it was sent in.
    `on_part()` is called as each part is sent, `on_end()` when the response is complete."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
        "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
    }  # fmt: skip
    sent: dict = {"status": None, "parts": []}

    async def run():
        done = asyncio.Event()
        requested = False

        async def receive():
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    sent["parts"].append(message["body"])
                    if on_part is not None:
                        on_part()
                if not message.get("more_body"):
                    done.set()
                    if on_end is not None:
                        on_end()

        await application(scope, receive, send)

    asyncio.run(run())
    return sent["status"], sent["parts"]


@pytest.fixture
def register(users):
    for i in range(7):
        services.create_incident(users["pak_liaison"], IncidentIn(**incident_payload(
            audience="parties", title=f"Fire {i}", date_start=f"2025-10-{10 + i}T22:30:00+05:00",
            date_end=f"2025-10-{10 + i}T23:30:00+05:00",
        )))  # fmt: skip
    _, key = ApiToken.issue(users["qat_verifier"], "export")
    return key


def _watch_batches(monkeypatch, events: list) -> None:
    """Batches of 2 incidents; note in `events` when each batch is read from the database."""
    monkeypatch.setattr(export, "BATCH", 2)
    batches = export._batches

    def watched(qs):
        for batch in batches(qs):
            events.append("batch")
            yield batch

    monkeypatch.setattr(export, "_batches", watched)


@pytest.mark.parametrize("path", ["/api/v1/incidents/export.csv", "/api/v1/incidents/export.geojson"])
def test_export_is_sent_batch_by_batch(monkeypatch, register, path):
    read: list[str] = []
    _watch_batches(monkeypatch, read)
    read_when_sent: list[int] = []
    status, parts = _asgi_get(path, register, on_part=lambda: read_when_sent.append(len(read)))
    assert status == 200
    assert len(read) == 4  # 7 incidents, 2 a batch
    # The header (the opening bracket) leaves before any batch is read, each batch's rows before the next;
    # Django's own way would send everything after the 4th.
    assert read_when_sent[:5] == [0, 1, 2, 3, 4], read_when_sent
    body = b"".join(parts).decode()
    if path.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0] == export.ACLED_COLUMNS
        assert [r[1] for r in rows[1:]] == [f"2025-10-{16 - i}" for i in range(7)]  # newest first, none twice
    else:
        features = json.loads(body)["features"]
        assert [f["properties"]["title"] for f in features] == [f"Fire {6 - i}" for i in range(7)]


def test_export_streams_the_same_bytes_as_the_test_client(api, register):
    """Under ASGI and under WSGI (the test client, gunicorn) the export is one and the same."""
    status, parts = _asgi_get("/api/v1/incidents/export.csv", register)
    wsgi = api("qat_verifier").client.get("/api/v1/incidents/export.csv")
    assert status == wsgi.status_code == 200
    assert b"".join(parts) == b"".join(wsgi.streaming_content)


def test_an_error_mid_export_cuts_the_response_short(monkeypatch, register):
    """Once the first rows are sent the status can no longer change: a failure after that must leave the
    response unfinished (the server then drops the connection, and the client sees a cut-short body rather
    than a CSV file that looks complete)."""
    monkeypatch.setattr(export, "BATCH", 2)
    row = export.acled_row
    written = []

    def failing(*args):
        written.append(1)
        if len(written) == 5:
            raise RuntimeError("the database went away")
        return row(*args)

    monkeypatch.setattr(export, "acled_row", failing)
    sent, ended = [], []
    with pytest.raises(RuntimeError, match="went away"):
        _asgi_get("/api/v1/incidents/export.csv", register, on_part=lambda: sent.append(1),
                  on_end=lambda: ended.append(1))
    assert (len(sent), ended) == (3, [])  # the header and two batches of rows; never the end of the body
