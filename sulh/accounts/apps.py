from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sulh.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self):
        from sulh.ledger import records

        from .models import ApiToken, Organisation, User

        def own_org(user, obj) -> bool:
            return user.organisation_id is not None and user.organisation_id == getattr(obj, "organisation_id", obj.pk)

        # Accounts change in the admin site as well as through services: log every save (signals).
        records.track(records.register("organisation", Organisation, exclude=["id"], readable_by=lambda u, o: True))
        records.track(records.register(
            "user", User,
            only=["username", "organisation_id", "role", "command_level", "sector", "is_active", "is_staff",
                  "is_superuser", "date_joined"],
            readable_by=own_org, bookkeeping=["last_login", "password", "language", "timezone"],
        ))  # fmt: skip
        records.track(records.register(
            "api_token", ApiToken,
            only=["id", "user_id", "name", "key_prefix", "created_at", "expires_at", "revoked_at"],
            readable_by=lambda user, obj: obj.user_id == user.pk, bookkeeping=["last_used_at"],
        ))  # fmt: skip
