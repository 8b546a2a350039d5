"""Demo witnesses: in a real deployment each organisation runs `sulh witness` on its own machine with a key
the server never sees. For the demonstration, the same checks run here, with keys kept under
SULH_DATA_DIR/demo-witnesses/<ORG>/ — clearly not a real witness, but the same code, protocol and proofs, so
that the console shows witnessed checkpoints and each organisation's latest one."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from sulh.accounts.models import CommandLevel, Role, User
from sulh.charter.loader import get_charter
from sulh.ledger import keys, merkle, services
from sulh.ledger.note import parse_verifier_key
from sulh.ledger.witness import WitnessState

# Which demo account registers each organisation's key and hands in its cosignatures.
REGISTRAR = {"party": dict(role=Role.COMMANDER, command_level=CommandLevel.NATIONAL),
             "mediator": dict(role=Role.MEDIATOR_LEAD), "monitoring": dict(role=Role.MONITOR)}  # fmt: skip


def _dir(code: str) -> Path:
    # One set of demo witnesses per log: a new database is a new log (its first entry, salted, differs),
    # and a witness that remembered the old one would rightly call the new one a fork.
    from sulh.ledger.models import LogEntry

    first = LogEntry.objects.filter(index=0).values_list("entry_hash", flat=True).first() or "empty"
    return Path(settings.DATA_DIR) / "demo-witnesses" / first[:16] / code


def witness_all(skip: tuple[str, ...] = ("JMT",)) -> list[str]:
    """Register a demo key for every organisation (if not yet) and cosign the newest checkpoint, as each
    organisation's witness would. The joint monitoring team is left out by default, so the console shows an
    organisation that has not witnessed (its row reads 'no key registered')."""
    charter = get_charter()
    orgs = [("party", p.code) for p in charter.parties] + [("mediator", m.code) for m in charter.mediators]
    orgs += [("monitoring", t.code) for t in charter.monitoring_teams]
    cp = services.sign_checkpoint()
    if cp is None:
        return []
    log_verifiers = {services.origin(): [parse_verifier_key(keys.log_verifier_key())]}
    done = []
    for kind, code in orgs:
        if code in skip:
            continue
        user = User.objects.filter(organisation__code=code, is_active=True, **REGISTRAR[kind]).first()
        if user is None:
            continue
        state = WitnessState(_dir(code))
        held = state.latest(services.origin())
        if held is not None and (held.size > cp.size or services.root_at(held.size) != held.root):
            # The database under this demo witness was reset to an earlier state and grew again (the test
            # suite rolls back to the entries made at migration): to the witness it is another log. Set the
            # old memory aside and start again, as an operator would after a deliberate reset of a demo.
            stale = _dir(code)
            stale.rename(stale.with_name(f"{code}.reset-{held.size}-{held.root.hex()[:8]}"))
            state = WitnessState(_dir(code))
        if not state.key_path.exists():
            state.init(f"demo-witness.{code.lower()}")
        if services.active_witness_keys().get(code) is None:
            with services.acting_as(user):
                services.register_witness_key(user, state.verifier_key())
        held = state.latest(services.origin())
        old = held.size if held else 0
        if old == cp.size:
            line = held.cosignature
        else:
            proof = merkle.consistency_proof(old, cp.size, services.read_hashes) if old else []
            line = state.witness(old, proof, cp.note, log_verifiers)
        services.add_cosignature(user, cp.size, line)
        done.append(code)
    return done
