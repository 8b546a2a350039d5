"""The `sulh` console command: Django's management commands under one name, so nobody types manage.py."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sulh.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "sulh"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
