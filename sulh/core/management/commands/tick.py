"""`sulh tick [--once]`: run the periodic jobs outside `sulh serve` (cron, or a process of its own)."""

import time

from django.core.management.base import BaseCommand

from sulh.core import ticker


class Command(BaseCommand):
    help = "Run the periodic jobs: once, or for ever every few seconds."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and stop")

    def handle(self, *args, once, **options):
        if once:
            for job in ticker.JOBS.values():
                job.last = 0.0
            self.stdout.write("ran: " + (", ".join(ticker.run_due()) or "nothing"))
            return
        while True:
            ticker.run_due()
            time.sleep(5)
