from django.apps import AppConfig


class ExchangesConfig(AppConfig):
    name = "sulh.exchanges"
    label = "exchanges"
    verbose_name = "Detainee exchanges"

    def ready(self):
        from sulh.ledger import records

        from . import visibility as v
        from .models import Confirmation, Exchange, Person, ReciprocityChange, Release, ReleaseList

        def sees_exchange(user, obj) -> bool:
            ex = obj if isinstance(obj, Exchange) else obj.exchange
            return v.visible_exchanges(user).filter(pk=ex.pk).exists()

        def sees_list(user, obj) -> bool:
            return sees_exchange(user, obj) and v.list_level(user, obj) is not None

        def sees_person(user, obj) -> bool:
            # The salt opens a commitment to the person's whole row (ciphertexts included): only for those who
            # see the person in full.
            return sees_exchange(user, obj.list) and v.list_level(user, obj.list) == v.FULL

        def sees_confirmation(user, obj) -> bool:
            return sees_exchange(user, obj.release)

        # An exchange's state is bookkeeping of its logged reciprocity changes and close; a list's last number
        # and a release's confirmed_at are bookkeeping of its persons and confirmations.
        records.register(
            "exchange", Exchange, exclude=["state", "state_changed_at"], readable_by=sees_exchange
        )
        records.register("exchange_list", ReleaseList, exclude=["last_number"], readable_by=sees_list)
        records.register("exchange_person", Person, readable_by=sees_person)
        records.register("exchange_release", Release, exclude=["confirmed_at"], readable_by=sees_exchange)
        records.register("exchange_confirmation", Confirmation, readable_by=sees_confirmation)
        records.register("exchange_reciprocity", ReciprocityChange, readable_by=sees_exchange)
