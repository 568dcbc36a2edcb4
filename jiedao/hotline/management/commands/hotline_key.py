from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiedao.core.models import OrgUnit
from jiedao.hotline.services import client_create


class Command(BaseCommand):
    help = (
        "Issue a push key to hotline platform NAME of district or subdistrict ORG_CODE (e.g. "
        "JA) and print it once: only its hash is stored. The platform sends it as the "
        "X-Hotline-Key header to POST /api/v1/hotline/push."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("org_code")
        parser.add_argument("--source", default="12345", help="numbering the orders belong to")

    def handle(self, *args: Any, **options: Any) -> None:
        org = OrgUnit.objects.filter(code=options["org_code"]).first()
        if org is None:
            raise CommandError(f"no org unit with code {options['org_code']!r}")
        try:
            client, key = client_create(
                name=options["name"], org_unit=org, source=options["source"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"hotline client {client.name!r} of {org.code} (prefix {client.prefix})")
        self.stdout.write(key)
