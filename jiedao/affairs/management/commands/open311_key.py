from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiedao.affairs.open311 import open311_client_create
from jiedao.core.models import OrgKind, OrgUnit


class Command(BaseCommand):
    help = (
        "Issue an Open311 api_key to client application NAME of subdistrict ORG_CODE "
        "(e.g. TMX) and print it once: only its hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("org_code")

    def handle(self, *args: Any, **options: Any) -> None:
        org = OrgUnit.objects.filter(code=options["org_code"], kind=OrgKind.SUBDISTRICT).first()
        if org is None:
            raise CommandError(f"no subdistrict with code {options['org_code']!r}")
        try:
            client, key = open311_client_create(name=options["name"], org_unit=org)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"Open311 client {client.name!r} of {org.code} (prefix {client.prefix})")
        self.stdout.write(key)
