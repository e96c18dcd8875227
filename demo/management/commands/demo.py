from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo.projects import PASSWORD
from demo.setup import demo_setup


class Command(BaseCommand):
    help = (
        "Set up the demo: migrate, import the PACA 2018 avis conjoint and its details, add a regional FNAVDL call, "
        "create demo accounts."
    )

    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError("Demo accounts exist only in demo mode: set AAP_DEMO=1.")
        call_command("migrate", interactive=False, verbosity=0)
        logins = demo_setup()
        # A database made before the search existed has no entries; rewriting the demo's few is instant.
        call_command("rebuild_search_index", verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Demo ready. Accounts (password for all: {PASSWORD}):"))
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username.ljust(width)}  {login.role} — {login.organisation}")
