"""`sulh tick [--once]`: run the periodic jobs and fire stored deadlines outside `sulh serve` (cron, or a
process of its own when the server runs several workers or with --no-ticker)."""

import time

from django.core.management.base import BaseCommand

from sulh.core import ticker
from sulh.deadlines import services as deadlines


class Command(BaseCommand):
    help = "Run the periodic jobs and fire due deadlines: once, or for ever."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once, fire what is due, and stop")

    def handle(self, *args, once, **options):
        if once:
            for job in ticker.JOBS.values():
                job.last = 0.0
            self.stdout.write("ran: " + (", ".join(ticker.run_due()) or "nothing"))
            self.stdout.write(f"deadlines fired: {len(deadlines.fire_due())}")
            return
        deadlines.start_thread()
        while True:
            ticker.run_due()
            time.sleep(5)
