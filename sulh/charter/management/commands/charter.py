"""`sulh charter validate FILE` and `sulh charter show`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sulh.charter.loader import CharterError, load_charter


class Command(BaseCommand):
    help = "Validate a charter file, or show a summary of the configured charter."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("validate", help="validate a charter YAML file")
        v.add_argument("file")
        sub.add_parser("show", help="summarise the configured charter (settings.SULH_CHARTER)")

    def handle(self, *args, **options):
        if options["action"] == "validate":
            path = options["file"]
            try:
                charter = load_charter(path)
            except CharterError as exc:
                for message in exc.messages:
                    self.stderr.write(message)
                raise CommandError(f"{path}: {len(exc.messages)} error(s)") from None
            self.stdout.write(f"{path}: valid charter {charter.id!r} ({charter.summary()})")
            return
        path = settings.SULH_CHARTER
        try:
            c = load_charter(path)
        except CharterError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(f"{path}: the configured charter is invalid") from None
        w = self.stdout.write
        w(f"Charter {c.id!r} version {c.version} ({path})")
        w(f"  {c.title['en']}")
        w(
            f"  origin: {c.origin}   incident codes: {c.incident_code_prefix}-…   languages: {', '.join(c.languages)}"
        )
        for code, kind, name, tz in c.organisations():
            w(f"  {kind:<10} {code:<5} {name['en']} ({tz})")
        from sulh.geo.projection import BorderFrame

        length = BorderFrame.from_line(c.border.line.coordinates).length_m / 1000
        w(f"  border: {c.border.name['en']}, {length:.0f} km, near = {c.border.near_border_m} m")
        for s in c.sectors:
            w(f"  sector {s.code:<14} {s.from_km:7.1f}–{s.to_km:7.1f} km  {s.name['en']}")
        w(
            f"  {len(c.provinces)} provinces, {len(c.districts)} districts, {len(c.crossings)} crossings, {len(c.posts)} posts"
        )
        for a in c.agreements:
            w(f"  agreement {a.code} ({a.date}): {len(a.clauses)} clauses")
        for name in sorted(c.deadlines):
            w(f"  deadline {name}: {c.deadlines[name]} ({c.deadline(name)})")
        for p in c.penalties:
            w(f"  penalty {p.code}: {p.name['en']}")
