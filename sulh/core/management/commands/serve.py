"""`sulh serve`: the ASGI server (uvicorn) with static files from WhiteNoise; no separate web server needed."""

import uvicorn
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Sulh's console and API."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="Worker processes (PostgreSQL only for >1)")

    def handle(self, *args, host, port, workers, **options):
        self.stdout.write(self.style.SUCCESS(f"Sulh is serving at http://{host}:{port}/  (Ctrl-C to stop)"))
        uvicorn.run("sulh.asgi:application", host=host, port=port, workers=workers, log_level="info", lifespan="off")
