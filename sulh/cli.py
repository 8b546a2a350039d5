"""The `sulh` console command: Django's management commands under one name, so nobody types manage.py.

Two commands run without Django, on a machine with no Sulh server and no database: `sulh witness …`
(an organisation's own witness) and `sulh log verify SOURCE …` without --database (checking a mirror)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    args[0] = "sulh"
    if len(args) > 1 and args[1] == "witness":
        from sulh.ledger.witness_cli import main as witness_main

        sys.exit(witness_main(args[2:]))
    if len(args) > 2 and args[1:3] == ["log", "verify"] and "--database" not in args:
        from sulh.ledger.verify_cli import main as verify_main

        sys.exit(verify_main(args[3:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
