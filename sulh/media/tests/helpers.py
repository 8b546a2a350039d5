"""Events and articles in the label shape, written out as files for the scorer."""

import json
from pathlib import Path

DEV_SET = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "media-dev"


def event(
    start="2025-10-15",
    end=None,
    locations=("Kurram",),
    *,
    event_type="Battles",
    sub_event_type="Armed clash",
    claimant="ISPR",
    killed=None,
    injured=None,
    background=False,
    summary="",
) -> dict:
    none = {"soldiers": None, "militants": None, "civilians": None}
    return {
        "summary": summary,
        "date_start": start,
        "date_end": end or start,
        "date_prec": 1,
        "locations": list(locations),
        "country": "PAK",
        "event_type": event_type,
        "sub_event_type": sub_event_type,
        "actors": ["Pakistan Army"],
        "claimant": claimant,
        "killed": {**none, **(killed or {})},
        "injured": {**none, **(injured or {})},
        "background": background,
    }


def article(name: str, events: list[dict], published="2025-10-20") -> dict:
    return {"article": f"{name}.txt", "published": published, "events": events}


def write_dir(directory: Path, articles: dict[str, dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in articles.items():
        (directory / f"{name}.json").write_text(json.dumps(body), encoding="utf-8")
    return directory
