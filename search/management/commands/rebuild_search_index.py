from django.core.management.base import BaseCommand
from django.db import transaction

from search.index import reindex


class Command(BaseCommand):
    help = "Rewrite the search entries of every dossier (after a bulk load or an upgrade)."

    def handle(self, *args, **options):
        with transaction.atomic():
            count = reindex()
        if options["verbosity"]:
            self.stdout.write(f"Search index rebuilt for {count} dossiers.")
