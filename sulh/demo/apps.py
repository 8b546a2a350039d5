from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "sulh.demo"
    label = "demo"
    verbose_name = "Demonstration scenario"

    def ready(self):
        from sulh.charter.loader import get_charter
        from sulh.core import ticker

        @ticker.every("demo.witnesses", lambda: get_charter().ledger.checkpoint_every_s)
        def demo_witnesses():
            # Only on a demonstration database whose demo witnesses were made by `sulh demo`: there the
            # demo keeps witnessing new checkpoints as real witnesses would, so the console stays live.
            from .scenario import is_loaded
            from .witnesses import _dir, witness_all

            if is_loaded() and _dir("AFG").exists():
                witness_all()
