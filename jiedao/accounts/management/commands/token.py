from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiedao.accounts.models import User
from jiedao.accounts.services import token_create


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user named {options['username']!r}") from exc
        self.stdout.write(token_create(user=user, name=options["name"]))
