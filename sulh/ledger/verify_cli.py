"""Arguments and output of `sulh log verify`, shared by the standalone path (no Django, for a mirror) and
the management command (with `--database`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .note import parse_verifier_key
from .verify import Trust, source_for, verify_log


def add_verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", nargs="?", help="a mirror directory or a URL ending in /log/ (default with --database: this server)")
    p.add_argument("--policy", type=Path, help="C2SP tlog-policy file you trust: the log key and the witness keys")
    p.add_argument("--log-key", action="append", default=[], help="the log's verifier key (if no --policy)")
    p.add_argument("--checkpoint", type=Path, help="a checkpoint you saved before: the log must still contain it")
    p.add_argument("--save-checkpoint", type=Path, help="after a clean check, save this checkpoint here for next time")
    p.add_argument("--token", help="API token, for a URL that needs one (or SULH_TOKEN)")
    p.add_argument("--database", action="store_true", help="also check every record row against its entry")
    p.add_argument("--require-witnessed", action="store_true", help="fail unless the policy's quorum cosigned")
    p.add_argument("--no-entry-checks", action="store_true", help="hashes only: skip the per-entry checks")


def _trust(opts) -> Trust:
    if opts.get("policy"):
        try:
            trust = Trust.from_policy(Path(opts["policy"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SystemExit(f"sulh log verify: cannot use the policy {opts['policy']}: {exc}") from None
    else:
        trust = Trust([])
    for key in opts.get("log_key") or []:
        try:
            trust.log_verifiers.append(parse_verifier_key(key))
        except ValueError as exc:
            raise SystemExit(f"sulh log verify: bad --log-key: {exc}") from None
    return trust


def run_verify(opts: dict, out=print, err=None) -> int:
    import os

    err = err or (lambda s: print(s, file=sys.stderr))
    trust = _trust(opts)
    database = opts.get("database")
    if opts.get("source"):
        source = source_for(opts["source"], opts.get("token") or os.environ.get("SULH_TOKEN"))
    elif database:
        from .tiles import DatabaseSource

        source = DatabaseSource()
    else:
        raise SystemExit("sulh log verify: give a mirror directory or URL (or --database on the server)")
    if not trust.log_verifiers:
        if database:
            from . import keys

            trust.log_verifiers.append(parse_verifier_key(keys.log_verifier_key()))
            out("note: no --policy or --log-key given: trusting this server's own log key")
        else:
            raise SystemExit("sulh log verify: give --policy FILE or --log-key KEY: the key you trust, from your own copy")
    saved = None
    if opts.get("checkpoint"):
        try:
            saved = Path(opts["checkpoint"]).read_text(encoding="utf-8")
        except OSError as exc:
            raise SystemExit(f"sulh log verify: cannot read {opts['checkpoint']}: {exc}") from None
    try:
        report = verify_log(
            source, trust, saved_checkpoint=saved, require_witnessed=opts.get("require_witnessed", False),
            check_entries=not opts.get("no_entry_checks"), progress=err,
        )  # fmt: skip
    except OSError as exc:
        raise SystemExit(f"sulh log verify: cannot read {source.describe()}: {exc}") from None
    if database:
        from . import audit

        audit.check_entry_rows(report, report.size)
        audit.check_tree_nodes(report, report.size)
        audit.check_records(report, report.size)
    for line in report.lines():
        out(line)
    if report.ok and opts.get("save_checkpoint") and report.checkpoint is not None:
        Path(opts["save_checkpoint"]).write_text(report.checkpoint.note, encoding="utf-8")
        out(f"saved the checkpoint to {opts['save_checkpoint']}")
    return 0 if report.ok else 1


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="sulh log verify", description="Check a copy of Sulh's log on your own machine.")
    add_verify_arguments(p)
    return run_verify(vars(p.parse_args(argv)))
