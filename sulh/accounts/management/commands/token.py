"""`sulh token create USERNAME [--name NAME]`: issue an API token from the server's own terminal."""

from django.core.management.base import BaseCommand, CommandError

from sulh.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create or list API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token; the key is printed once")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        listing = sub.add_parser("list", help="List a user's tokens")
        listing.add_argument("username")

    def handle(self, *args, action, username, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user {username!r}") from None
        if action == "create":
            _, key = ApiToken.issue(user, options["name"])
            self.stdout.write(key)
        else:
            for t in user.api_tokens.all():
                state = "active" if t.is_active else "inactive"
                self.stdout.write(f"{t.id}  {t.key_prefix}…  {t.name}  {state}  created {t.created_at:%Y-%m-%d}")
