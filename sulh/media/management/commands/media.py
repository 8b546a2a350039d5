"""`sulh media evaluate DIR [--predictions PREDDIR] [--format text|json]` and `sulh media score LABELS PREDICTIONS`.

DIR is laid out like shared/eval/media-dev: DIR/articles/NAME.txt and DIR/labels/NAME.json. With
--predictions, the files in PREDDIR (same names, same shape as the labels) are scored against DIR/labels by
the rules in sulh.media.evaluate. Without it the extractor would be run on DIR/articles; there is none yet,
so the command says so and exits with status 2. `sulh media score` scores a labels directory directly."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sulh.media import evaluate

NO_EXTRACTOR = "no extractor yet: give --predictions DIR"


class Command(BaseCommand):
    help = "Media monitoring: score extracted events against hand-labelled articles."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser(
            "evaluate", help="score predictions for DIR/labels (DIR holds articles/ and labels/)"
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
        if opts["action"] == "evaluate":
            root: Path = opts["directory"]
            if not root.is_dir():
                raise CommandError(f"{root}: no such directory (expected one holding articles/ and labels/)")
            labels = root / "labels"
            if not labels.is_dir():
                raise CommandError(f"{labels}: no such directory: {root} must hold labels/ (and articles/)")
            if opts["predictions"] is None:
                raise CommandError(NO_EXTRACTOR, returncode=2)
            predictions = opts["predictions"]
        else:
            labels, predictions = opts["labels"], opts["predictions"]
        try:
            report = evaluate.evaluate_dirs(labels, predictions)
        except evaluate.LabelError as exc:
            raise CommandError(str(exc)) from None
        render = evaluate.render_json if opts["format"] == "json" else evaluate.render_text
        self.stdout.write(render(report), ending="")
