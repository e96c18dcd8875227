from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from synthetic.generate import synthetic_generate


class Command(BaseCommand):
    help = (
        "Add a synthetic national history (calls since 2014, 13 regions, landlords, dossiers, opinions, decisions, "
        "agreements, reports): the same seed and number of dossiers always give the same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, required=True, help="How many dossiers to add.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the random draws (default 0).")

    def handle(self, *args, dossiers: int, seed: int, **options):
        if dossiers < 1:
            raise CommandError("--dossiers must be at least 1.")
        result = synthetic_generate(dossiers=dossiers, seed=seed, progress=self.stdout.write)
        # Bulk inserts send no signals: the search entries are written once, at the end.
        call_command("rebuild_search_index", verbosity=options["verbosity"], stdout=self.stdout)
        # After a bulk load the planner's statistics describe the empty tables: refresh them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.dossiers} dossiers ({result.rows} rows, {result.joint_opinions} published avis "
                f"conjoints) in {result.seconds:.1f} s."
            )
        )
