"""`sulh media extract FILE --published YYYY-MM-DD [--outlet NAME] [--format json|text]`,
`sulh media evaluate DIR [--predictions PREDDIR] [--format text|json]` and `sulh media score LABELS PREDICTIONS`.

extract prints the candidate events of one article (sulh.media.extract) in the label shape.

DIR is laid out like shared/eval/media-dev: DIR/articles/NAME.txt and DIR/labels/NAME.json. With
--predictions, the files in PREDDIR (same names, same shape as the labels) are scored against DIR/labels by
the rules in sulh.media.evaluate. Without it the extractor is run on DIR/articles (each article's publication
date, and nothing else, taken from its label file) and its output scored. `sulh media score` scores a labels
directory directly."""

import json
import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sulh.media import evaluate
from sulh.media.text import InputError

NO_EXTRACTOR = "no extractor yet: give --predictions DIR"
NO_ARTICLES = "cannot extract: {path} is missing (give --predictions DIR to score saved output)"


def _published(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--published: not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Media monitoring: extract events from an article; score extracted events against labelled ones."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ex = sub.add_parser("extract", help="print the candidate events of one article (English only)")
        ex.add_argument("file", type=Path)
        ex.add_argument("--published", required=True, help="publication date, YYYY-MM-DD")
        ex.add_argument("--outlet", help="the outlet's name")
        ex.add_argument("--format", choices=("json", "text"), default="json")
        ev = sub.add_parser(
            "evaluate", help="score the extractor (or --predictions) on DIR (DIR holds articles/ and labels/)"
        )
        ev.add_argument("directory", type=Path)
        ev.add_argument(
            "--predictions", type=Path, help="directory of extracted events (NAME.json per article)"
        )
        ev.add_argument("--format", choices=("text", "json"), default="text")
        sc = sub.add_parser("score", help="score a predictions directory against a labels directory")
        sc.add_argument("labels", type=Path)
        sc.add_argument("predictions", type=Path)
        sc.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, **opts):
        if opts["action"] == "extract":
            return self._extract(opts)
        render = evaluate.render_json if opts["format"] == "json" else evaluate.render_text
        try:
            if opts["action"] == "evaluate":
                root: Path = opts["directory"]
                if not root.is_dir():
                    raise CommandError(
                        f"{root}: no such directory (expected one holding articles/ and labels/)"
                    )
                labels = root / "labels"
                if not labels.is_dir():
                    raise CommandError(
                        f"{labels}: no such directory: {root} must hold labels/ (and articles/)"
                    )
                if opts["predictions"] is None:
                    report = self._evaluate_extractor(root, labels)
                else:
                    report = evaluate.evaluate_dirs(labels, opts["predictions"])
            else:
                report = evaluate.evaluate_dirs(opts["labels"], opts["predictions"])
        except evaluate.LabelError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(render(report), ending="")

    def _extract(self, opts):
        from sulh.media.extract import extract_file, render_text

        published = _published(opts["published"])
        try:
            result = extract_file(opts["file"], published, opts["outlet"])
        except InputError as exc:
            raise CommandError(str(exc)) from None
        if opts["format"] == "text":
            self.stdout.write(render_text(result), ending="")
        else:
            self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))

    def _evaluate_extractor(self, root: Path, labels_dir: Path) -> dict:
        from sulh.media.extract import extract_file

        articles = root / "articles"
        if not articles.is_dir():
            raise CommandError(NO_ARTICLES.format(path=articles), returncode=2)
        labels = evaluate.load_dir(labels_dir)
        predictions = {}
        for name, label in labels.items():
            path = articles / Path(label.article).name
            try:
                raw = extract_file(path, label.published)
            except InputError as exc:  # one bad article stops nothing else: it scores as "nothing extracted"
                print(f"warning: {exc}; scored as no events", file=sys.stderr)
                raw = {"events": []}
            raw = {**raw, "article": label.article, "published": label.published.isoformat()}
            predictions[name] = evaluate.parse_article(f"(extracted) {name}", raw)
        return evaluate.score(
            labels, predictions, labels_dir=str(labels_dir), predictions_dir="(the extractor)"
        )
