"""The `sulh` console command: Django's management commands under one name, so nobody types manage.py.

Four commands run without Django, on a machine with no Sulh server and no database: `sulh witness …`
(an organisation's own witness), `sulh log verify SOURCE …` without --database (checking a mirror),
`sulh hotline …` (an API client for a command post), except `sulh hotline audit`, which reads the database,
`sulh mediator …` (a mediator's own signing key and signatures on findings), `sulh doc …` (a signatory's key,
signatures on documents, and offline verification of a co-signed document) and `sulh intel …` (an intel desk's
keys, and reports encrypted and opened on its own machine)."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    args[0] = "sulh"
    if len(args) > 1 and args[1] == "witness":
        from sulh.ledger.witness_cli import main as witness_main

        sys.exit(witness_main(args[2:]))
    if len(args) > 1 and args[1] == "hotline" and args[2:3] != ["audit"]:
        from sulh.hotline.cli import main as hotline_main

        sys.exit(hotline_main(args[2:]))
    if len(args) > 1 and args[1] == "mediator":
        from sulh.verification.mediator_cli import main as mediator_main

        sys.exit(mediator_main(args[2:]))
    if len(args) > 1 and args[1] == "doc":
        from sulh.documents.cli import main as doc_main

        sys.exit(doc_main(args[2:]))
    if len(args) > 1 and args[1] == "intel":
        from sulh.intel.cli import main as intel_main

        sys.exit(intel_main(args[2:]))
    if len(args) > 2 and args[1:3] == ["log", "verify"] and "--database" not in args:
        from sulh.ledger.verify_cli import main as verify_main

        sys.exit(verify_main(args[3:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
