"""`sulh demo`: load the demonstration scenario (accounts for every role, ~300 incidents), print the logins.

sulh demo                     load it (refused when demonstration data is already there)
sulh demo --if-empty          load it only if no demonstration data exists; print the logins either way
sulh demo --code USERNAME     the current TOTP code of a demo account (also: sulh demo code USERNAME)
sulh demo charter             write the demo charter (the charter in force with the demo signatories' and
                              intel desks' public keys entered) and print its path: `make run` starts on it
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from sulh.demo import scenario
from sulh.incidents.models import Incident


class Command(BaseCommand):
    help = "Load the demonstration scenario (clearly marked demo data) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["load", "code", "charter"], default="load",
                            help="'code USERNAME' prints the current TOTP code of a demo account")  # fmt: skip
        parser.add_argument("username", nargs="?", help="with 'code': the demo account")
        parser.add_argument("--code", dest="code_for", metavar="USERNAME",
                            help="print the current TOTP code of a demo account and exit")  # fmt: skip
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing (but print the logins) if demonstration data is already loaded")  # fmt: skip
        parser.add_argument("--seed", type=int, default=scenario.DEFAULT_SEED,
                            help=f"scenario seed (default {scenario.DEFAULT_SEED}: the same scenario every time)")  # fmt: skip
        parser.add_argument("--incidents", type=int, default=scenario.DEFAULT_INCIDENTS,
                            help=f"about how many incidents to create (default {scenario.DEFAULT_INCIDENTS})")  # fmt: skip
        parser.add_argument(
            "--quiet", action="store_true", help="print nothing but errors (and a requested code)"
        )

    def handle(self, *args, **opts):
        username = opts["code_for"] or (opts["username"] if opts["action"] == "code" else None)
        if opts["action"] == "code" and not username:
            raise CommandError("usage: sulh demo code USERNAME")
        if opts["username"] and opts["action"] != "code":
            raise CommandError(f"unexpected argument {opts['username']!r}")
        if username:
            return self.print_code(username, quiet=opts["quiet"])
        if opts["action"] == "charter":
            from django.conf import settings

            from sulh.charter.loader import CharterError, load_charter
            from sulh.demo import keys

            try:
                path = keys.write_demo_charter(settings.SULH_CHARTER)
                load_charter(path)  # the copy must validate like the original
            except (CharterError, ValueError) as exc:
                raise CommandError(f"cannot write the demo charter: {exc}") from None
            self.stdout.write(str(path))
            return
        if opts["incidents"] < 0:
            raise CommandError("--incidents must be 0 or more")

        quiet = opts["quiet"]
        if opts["if_empty"]:
            if scenario.is_loaded():
                if not quiet:
                    self.stdout.write("Demonstration data is already loaded; nothing to do.")
                    self.print_logins()
                return
            if Incident.objects.filter(is_demo=False).exists():
                if not quiet:
                    self.stdout.write("This database holds real (non-demo) incidents: the demonstration scenario "
                                      "is not loaded into it.")  # fmt: skip
                return
        if not quiet:
            self.stdout.write(scenario.DEMO_NOTICE)
        progress = None if quiet else (lambda msg: self.stdout.write(f"  … {msg}"))
        try:
            result = scenario.load(seed=opts["seed"], incidents_wanted=opts["incidents"], progress=progress)
        except scenario.DemoError as exc:
            raise CommandError(str(exc)) from exc
        from sulh.demo.witnesses import witness_all

        cosigners = witness_all()
        if quiet:
            return
        if cosigners:
            self.stdout.write(f"  … checkpoint signed and witnessed by demo witnesses of {', '.join(cosigners)}")
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {result.incidents} DEMO incidents ({result.claims} claims: {result.drafts} drafts, "
            f"{result.amended} corrections; {result.published} incidents published) in {result.seconds:.1f} s "
            f"(seed {opts['seed']})."
        ))  # fmt: skip
        self.print_logins()

    def print_logins(self) -> None:
        rows = scenario.demo_accounts()
        if not rows:
            self.stdout.write("No demo accounts.")
            return
        self.stdout.write("")
        self.stdout.write("Demo accounts (DEMONSTRATION ONLY: never use them on a real deployment):")
        for line in scenario.username_table(rows):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(f"Password for every demo account: {scenario.DEMO_PASSWORD}")
        self.stdout.write(
            "Accounts marked 'needed' sign in with a TOTP code as well; print the current one with:"
        )
        self.stdout.write("    .venv/bin/sulh demo --code USERNAME   (e.g. .venv/bin/sulh demo --code pak.commander.sector)")

    def print_code(self, username: str, quiet: bool) -> None:
        try:
            code, left = scenario.current_code(username)
        except scenario.DemoError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(code)
        if not quiet:
            sys.stderr.write(f"(TOTP code of demo account {username}, valid for about {left} more seconds)\n")
