"""`sulh media evaluate` and `sulh media score`: the report in both formats, the extractor run without
--predictions (exit status 2 when there are no articles),
and a clear error naming the file and the field for bad input."""

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from .helpers import DEV_SET, article, event, write_dir


@pytest.fixture
def dev(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.txt").write_text("Five soldiers were killed in Kurram on Wednesday.")
    write_dir(tmp_path / "labels", {"a": article("a", [event(killed={"soldiers": [5, 5]})])})
    return tmp_path


def run(*args) -> str:
    out = io.StringIO()
    call_command("media", *args, stdout=out)
    return out.getvalue()


def test_evaluate_with_predictions_text_and_json(dev, tmp_path):
    preds = write_dir(tmp_path / "preds", {"a": article("a", [event(killed={"soldiers": [4, 4]})])})
    text = run("evaluate", str(dev), "--predictions", str(preds))
    assert "precision  1.000  1/1" in text and "killed.soldiers      0/1" in text
    report = json.loads(run("evaluate", str(dev), "--predictions", str(preds), "--format", "json"))
    assert report["events"]["f1"] == 1.0
    assert report["fields"]["killed.soldiers"] == {"correct": 0, "matched": 1, "accuracy": 0.0}
    assert report["linking"]["accuracy"] is None
    assert json.loads(run("score", str(dev / "labels"), str(preds), "--format", "json")) == report


def test_without_predictions_the_extractor_runs(dev):
    report = json.loads(run("evaluate", str(dev), "--format", "json"))
    assert report["predictions"] == "(the extractor)"
    assert report["events"]["labelled_news_found"] == 1
    assert report["fields"]["killed.soldiers"]["correct"] == 1


def test_without_predictions_or_articles_exit_2(dev):
    import shutil

    shutil.rmtree(dev / "articles")
    with pytest.raises(CommandError, match=r"cannot extract: .*articles is missing") as info:
        run("evaluate", str(dev))
    assert info.value.returncode == 2


def test_exit_status_from_the_console(dev):
    import shutil

    shutil.rmtree(dev / "articles")
    proc = subprocess.run(  # noqa: S603 -- our own command
        [sys.executable, "-m", "sulh.cli", "media", "evaluate", str(dev)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "cannot extract" in proc.stderr
    proc = subprocess.run(  # noqa: S603 -- our own command
        [sys.executable, "-m", "sulh.cli", "media", "score", str(dev / "labels"), str(dev / "x")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "x: no such directory" in proc.stderr


def test_bad_input(dev, tmp_path):
    with pytest.raises(CommandError, match="no such directory"):
        run("evaluate", str(tmp_path / "nowhere"), "--predictions", str(tmp_path))
    with pytest.raises(CommandError, match=r"labels: no such directory"):
        run("evaluate", str(dev / "articles"), "--predictions", str(tmp_path))
    with pytest.raises(CommandError, match=r"missing: no such directory"):
        run("evaluate", str(dev), "--predictions", str(tmp_path / "missing"))
    preds = tmp_path / "preds"
    preds.mkdir()
    (preds / "a.json").write_text('{"article": "a.txt", "published": "2025-10-20", "events": [')
    with pytest.raises(CommandError, match=r"preds/a.json: not valid JSON"):
        run("evaluate", str(dev), "--predictions", str(preds))
    bad = article("a", [event()])
    bad["events"][0]["killed"]["militants"] = "dozens"
    (preds / "a.json").write_text(json.dumps(bad))
    with pytest.raises(
        CommandError, match=r"preds/a.json: events\[0\].killed.militants: expected null or a \[low"
    ):
        run("evaluate", str(dev), "--predictions", str(preds))
    (preds / "a.json").write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(CommandError, match=r"preds/a.json: cannot read"):
        run("score", str(dev / "labels"), str(preds))
    label = dev / "labels" / "a.json"
    body = json.loads(label.read_text())
    del body["events"][0]["date_start"]
    label.write_text(json.dumps(body))
    with pytest.raises(CommandError, match=r"labels/a.json: events\[0\].date_start: missing"):
        run("score", str(dev / "labels"), str(dev / "labels"))


@pytest.mark.skipif(not (DEV_SET / "labels").is_dir(), reason="shared/eval/media-dev not present")
def test_dev_set_against_its_own_labels():
    report = json.loads(
        run("evaluate", str(DEV_SET), "--predictions", str(DEV_SET / "labels"), "--format", "json")
    )
    assert report["articles_scored"] == len(list((DEV_SET / "labels").glob("*.json")))
    assert report["events"]["precision"] == report["events"]["recall"] == 1.0
