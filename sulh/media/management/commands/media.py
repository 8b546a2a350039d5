"""`sulh media ingest PATH… --as USER --outlet NAME [--published YYYY-MM-DD] [--url URL] [--language en]`,
`sulh media feed add URL --outlet NAME --as USER`, `sulh media feed poll|list --as USER`,
`sulh media feed read FILE --as USER [--outlet NAME]` (intake: sulh.media.intake),
`sulh media extract FILE --published YYYY-MM-DD [--outlet NAME] [--format json|text]`,
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
        _intake_arguments(sub)
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
        ev.add_argument(
            "--incidents",
            type=Path,
            help="linking ground truth: JSON {NAME.json: [incident key or null per label event]}",
        )
        sc = sub.add_parser("score", help="score a predictions directory against a labels directory")
        sc.add_argument("labels", type=Path)
        sc.add_argument("predictions", type=Path)
        sc.add_argument("--format", choices=("text", "json"), default="text")
        sub.add_parser("index", help="embed the register incidents for linking ahead of the first articles")

    def handle(self, *args, **opts):
        if opts["action"] == "index":
            from sulh.media.linking import index_register

            self.stdout.write(f"{index_register()} incident text(s) embedded")
            return None
        if opts["action"] in ("ingest", "feed"):
            return _Intake(self).run(opts)
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
                    report = self._evaluate_extractor(root, labels, opts["incidents"])
                else:
                    report = evaluate.evaluate_dirs(labels, opts["predictions"], incidents=opts["incidents"])
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

    def _evaluate_extractor(self, root: Path, labels_dir: Path, incidents: Path | None = None) -> dict:
        """Run the extractor on every article, then the linker (sulh.media.linking.group_events) over all the
        extracted non-background events of the set, and score both."""
        from sulh.media import linking
        from sulh.media.extract import extract_file

        articles = root / "articles"
        if not articles.is_dir():
            raise CommandError(NO_ARTICLES.format(path=articles), returncode=2)
        labels = evaluate.load_dir(labels_dir)
        sidecar = None if incidents is None else evaluate.load_incidents(incidents, labels)
        predictions, news = {}, []
        for name, label in labels.items():
            path = articles / Path(label.article).name
            try:
                raw = extract_file(path, label.published)
                text = path.read_text(encoding="utf-8")
            except InputError as exc:  # one bad article stops nothing else: it scores as "nothing extracted"
                print(f"warning: {exc}; scored as no events", file=sys.stderr)
                raw, text = {"events": []}, ""
            raw = {**raw, "article": label.article, "published": label.published.isoformat()}
            predictions[name] = evaluate.parse_article(f"(extracted) {name}", raw)
            for j, event in enumerate(raw["events"]):
                if not event.get("background"):
                    news.append((name, j, linking.event_features(event, article_text=text, source=name,
                                                                 label=f"{name} #{j}")))  # fmt: skip
        group_ids = linking.group_events([f for _, _, f in news])
        groups = {name: [None] * len(p.events) for name, p in predictions.items()}
        for (name, j, _), g in zip(news, group_ids, strict=True):
            groups[name][j] = f"group-{g}"
        return evaluate.score(
            labels,
            predictions,
            labels_dir=str(labels_dir),
            predictions_dir="(the extractor)",
            incidents=sidecar,
            groups=groups,
        )


# --- intake: ingest and feed ------------------------------------------------------------------------------------


def _intake_arguments(sub) -> None:
    ing = sub.add_parser("ingest", help="receive article files and folders (.txt, .md, .html) into a desk")
    ing.add_argument("paths", nargs="+", type=Path)
    _as_user(ing)
    ing.add_argument("--outlet", required=True, help="the outlet's name")
    ing.add_argument("--published", help="publication date, YYYY-MM-DD (else from the page's metadata)")
    ing.add_argument("--url", default="", help="the article's URL (one article only)")
    ing.add_argument("--language", help="trust this language (ISO 639-1) instead of identifying it")
    ing.add_argument("--workers", type=int, default=0,
                     help="processes that read and extract ahead (e.g. 2 on a 2-core machine; each loads the "
                          "embedding model, ~600 MB): worth it for hundreds of files")  # fmt: skip
    feed = sub.add_parser("feed", help="RSS/Atom feeds: add, poll, read a feed file, list")
    fsub = feed.add_subparsers(dest="feed_action", required=True)
    add = fsub.add_parser("add", help="add a feed URL for the desk to poll")
    add.add_argument("url")
    add.add_argument("--outlet", required=True)
    add.add_argument("--language", default="", help="the feed's language, if known (only en is read)")
    _as_user(add)
    _as_user(fsub.add_parser("poll", help="poll the desk's active feeds"))
    read = fsub.add_parser("read", help="receive the items of a saved feed file once")
    read.add_argument("file", type=Path)
    read.add_argument("--outlet", help="the outlet (default: the feed's title)")
    _as_user(read)
    _as_user(fsub.add_parser("list", help="the desk's feeds"))


def _as_user(parser) -> None:
    parser.add_argument("--as", dest="username", required=True, metavar="USERNAME",
                        help="the analyst acting (a user of an organisation's media desk)")  # fmt: skip


class _Intake:
    """The intake subcommands: each prints one line per file or item; refusals go to stderr and make the
    exit status 1 once everything else is done."""

    def __init__(self, command: BaseCommand):
        self.out, self.err = command.stdout, command.stderr

    def run(self, opts) -> None:
        from sulh.core.errors import DomainError
        from sulh.ledger import services as ledger

        user = self._user(opts["username"])
        action = opts["action"] if opts["action"] == "ingest" else opts["feed_action"]
        try:
            with ledger.acting_as(user):
                refused = getattr(self, f"_{action}")(user, opts)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if refused:
            raise CommandError(refused, returncode=1)

    def _user(self, username: str):
        from sulh.accounts.models import User
        from sulh.media import services

        user = User.objects.filter(username=username).select_related("organisation").first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if not services.can_use_media(user):
            raise CommandError(f"{username}: the media desk is for analysts and the mediators' verification staff")
        return user

    def _ingest(self, user, opts) -> str:
        from sulh.media import intake

        published = _published(opts["published"]) if opts["published"] else None
        if opts["url"] and (len(opts["paths"]) > 1 or opts["paths"][0].is_dir()):
            raise CommandError("--url names one article: give a single file with it")
        outcomes = intake.receive_paths(user, opts["paths"], outlet=opts["outlet"], published_on=published,
                                        url=opts["url"], language=opts["language"],
                                        workers=max(0, opts["workers"]))  # fmt: skip
        return self._report(outcomes, "files")

    def _report(self, outcomes, what: str) -> str:
        for o in outcomes:
            if o.result == "received":
                a = o.article
                n = a.candidates.count()
                note = f" ({a.refusal})" if a.refusal else ""
                self.out.write(f"{a.code}  {a.status}{note}  {n} candidate{'' if n == 1 else 's'}  {o.name}")
            elif o.result == "duplicate":
                self.out.write(f"{o.article.code}  duplicate ({o.message})  {o.name}")
            elif o.result == "skipped":
                self.out.write(f"skipped  {o.name}: {o.message}")
            else:
                self.err.write(f"{o.name}: refused: {o.message}")
        refused = sum(1 for o in outcomes if o.result == "refused")
        return f"{refused} of {len(outcomes)} {what} refused" if refused else ""

    def _add(self, user, opts) -> str:
        from sulh.media import intake

        feed = intake.add_feed(user, opts["url"], opts["outlet"], opts["language"])
        self.out.write(f"added {feed.url} ({feed.outlet}) for {user.organisation.code}")
        return ""

    def _poll(self, user, opts) -> str:
        from sulh.media import intake

        failed = 0
        polls = intake.poll_feeds(user)
        if not polls:
            self.out.write("no active feeds: add one with `sulh media feed add URL --outlet NAME --as USER`")
        for poll in polls:
            if poll.status == "failed":
                failed += 1
                self.err.write(f"{poll.feed.url}: failed: {poll.error}")
                continue
            new = sum(1 for o in poll.outcomes if o.result == "received")
            self.out.write(f"{poll.feed.url}: {poll.status}, {new} new of {len(poll.outcomes)} items")
            self._report(poll.outcomes, "items")
        return f"{failed} of {len(polls)} feeds failed" if failed else ""

    def _read(self, user, opts) -> str:
        from sulh.media import intake

        return self._report(intake.receive_feed_file(user, opts["file"], outlet=opts["outlet"]), "items")

    def _list(self, user, opts) -> str:
        from sulh.media import intake

        feeds = list(intake.feeds_of(user))
        if not feeds:
            self.out.write("no feeds")
        for f in feeds:
            polled = f"{f.last_polled_at:%Y-%m-%d %H:%M}Z" if f.last_polled_at else "never polled"
            state = "active" if f.active else "paused"
            error = f"  error: {f.last_error}" if f.last_error else ""
            self.out.write(f"{f.outlet}  {f.url}  {state}  {polled}  {f.articles.count()} articles{error}")
        return ""
