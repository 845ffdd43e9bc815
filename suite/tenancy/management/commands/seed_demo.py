from django.core.management.base import BaseCommand

from suite.ai.demo import seed_ai_demo
from suite.products import seed_product_demos
from suite.tenancy.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo tenants and a user for every role (idempotent)."

    def handle(self, *args, **options):
        users = seed_demo()
        seed_ai_demo()
        seed_product_demos()
        self.stdout.write("Demo logins (staff: /login/, subscribers: /m/login/):")
        for demo in users:
            where = ", ".join(f"{role}@{slug}" for slug, role in demo.grants)
            if demo.phone:
                self.stdout.write(f"  phone {demo.phone:<14} code from the server log   {where}")
            else:
                self.stdout.write(f"  {demo.username:<20} {DEMO_PASSWORD:<18} {where}")
        self.stdout.write(
            "OpenAI-compatible API at /v1/: create a key with "
            "`manage.py create_api_key --tenant gd-sz --scopes maas`."
        )
