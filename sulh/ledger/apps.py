from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "sulh.ledger"
    label = "ledger"
    verbose_name = "Ledger (tamper-evident log)"

    def ready(self):
        from . import records
        from .models import WitnessKey

        # Everyone may read a registered public key: it is what they check cosignatures with.
        records.register("witness_key", WitnessKey, exclude=["id"], readable_by=lambda user, obj: True)

        from sulh.charter.loader import get_charter
        from sulh.core import ticker

        @ticker.every("ledger.checkpoint", lambda: get_charter().ledger.checkpoint_every_s)
        def checkpoint():
            from . import services

            cp = services.sign_checkpoint()
            if cp is not None:
                services.push_to_witnesses(cp)
