from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from suite.accounts.services import api_key_create
from suite.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Create an API key for a tenant; the key is printed once, as the last line."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug, e.g. gd-sz")
        parser.add_argument("--scopes", required=True, help="comma-separated, e.g. maas,callcenter")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, tenant, scopes, name, **options):
        owner = Tenant.objects.filter(slug=tenant).first()
        if owner is None:
            raise CommandError(f"No tenant with slug {tenant!r}.")
        try:
            issued = api_key_create(
                tenant=owner, name=name, scopes=[s.strip() for s in scopes.split(",") if s.strip()]
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Created key {issued.record.prefix}… for {owner.slug} "
            f"with scopes {','.join(issued.record.scopes)}. It is not shown again."
        )
        self.stdout.write(issued.raw)
