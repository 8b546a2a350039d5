"""`sulh serve`: the ASGI server (uvicorn) with static files from WhiteNoise; no separate web server needed.
It also runs the periodic jobs (sulh.core.ticker) and the stored deadlines (sulh.deadlines) in background
threads, unless --no-ticker. Several servers may run them against one PostgreSQL: each deadline fires once."""

import uvicorn
from django.core.management.base import BaseCommand

from sulh.core import ticker
from sulh.deadlines import services as deadlines


class Command(BaseCommand):
    help = "Serve Sulh's console and API, and run the periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="Worker processes (PostgreSQL only for >1)")
        parser.add_argument("--no-ticker", action="store_true", help="leave periodic jobs to `sulh tick`")

    def handle(self, *args, host, port, workers, no_ticker, **options):
        if not no_ticker:
            ticker.start_thread()
            # Hotline escalations and protocol deadlines: fired within a fraction of a second of falling due.
            deadlines.start_thread()
        self.stdout.write(self.style.SUCCESS(f"Sulh is serving at http://{host}:{port}/  (Ctrl-C to stop)"))
        uvicorn.run("sulh.asgi:application", host=host, port=port, workers=workers, log_level="info", lifespan="off")
