"""`sulh log checkpoint | export DIR | verify [SOURCE] | status` — the ledger from the command line.

`sulh log verify` against a mirror needs no database: the `sulh` command runs it without Django when
`--database` is not given (see sulh.cli), so a party can check a copy on a machine with no Sulh server."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sulh.ledger import services, tiles
from sulh.ledger.verify_cli import add_verify_arguments, run_verify


class Command(BaseCommand):
    help = "The tamper-evident log: sign a checkpoint, export the tiles, verify, show status."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("checkpoint", help="sign a checkpoint of the log as it is now")
        ex = sub.add_parser("export", help="write the log as C2SP tlog-tiles into DIR (a mirror)")
        ex.add_argument("directory", type=Path)
        ex.add_argument("--no-sign", action="store_true", help="export the newest checkpoint; do not sign one")
        ex.add_argument("--witnessed", action="store_true", help="export the newest WITNESSED checkpoint")
        add_verify_arguments(sub.add_parser("verify", help="check a mirror, a URL or this database"))
        sub.add_parser("status", help="size, newest checkpoint, witnesses")

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "checkpoint":
            cp = services.sign_checkpoint(force=True)
            self.stdout.write(services.cosigned_note(cp))
        elif action == "export":
            if opts["witnessed"]:
                cp = services.latest_checkpoint(witnessed=True)
                if cp is None:
                    raise CommandError("no checkpoint has been witnessed by the charter's quorum yet")
            else:
                cp = None if opts["no_sign"] else services.sign_checkpoint()
                cp = cp or services.latest_checkpoint()
            if cp is None:
                raise CommandError("the log is empty: nothing to export")
            out = tiles.export(opts["directory"], cp)
            self.stdout.write(
                f"exported checkpoint {out['size']:,} to {opts['directory']}: {out['written']} files written, "
                f"{out['kept']} unchanged full tiles kept"
                + ("" if out["policy"] else "; no policy file: not every organisation has a witness key yet")
            )
        elif action == "verify":
            code = run_verify(opts, self.stdout.write, self.stderr.write)
            if code:
                raise SystemExit(code)
        else:
            self._status()

    def _status(self):
        size = services.tree_size()
        cp = services.latest_checkpoint()
        wcp = services.latest_checkpoint(witnessed=True)
        self.stdout.write(f"origin: {services.origin()}\nlog key: {services.keys.log_verifier_key()}")
        self.stdout.write(f"entries: {size:,}")
        self.stdout.write(f"newest checkpoint: {cp.size:,} ({cp.created_at:%Y-%m-%d %H:%M} UTC)" if cp else "no checkpoint")
        self.stdout.write(f"newest witnessed: {wcp.size:,}" if wcp else "no witnessed checkpoint yet")
        for w in services.latest_witnessed_by_org():
            cs = w["cosignature"]
            self.stdout.write(
                f"  {w['organisation']:6} "
                + ("no key registered" if w["key"] is None else w["key"].verifier_key)
                + (f" — last cosigned {cs.checkpoint.size:,}" if cs else " — has not cosigned")
            )
