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
        parser.add_argument(
            "--call-size",
            type=int,
            help="Dossiers per call: as many calls as the dossiers make, several a year if need be (default: twelve "
            "calls, one a year since 2014, whatever the number of dossiers).",
        )
        parser.add_argument(
            "--large-call", type=int, default=0, help="With --call-size: one more call of that many dossiers, decided."
        )

    def handle(self, *args, dossiers: int, seed: int, call_size: int | None, large_call: int, **options):
        if dossiers < 1:
            raise CommandError("--dossiers must be at least 1.")
        if call_size is not None and call_size < 1:
            raise CommandError("--call-size must be at least 1.")
        if large_call and (call_size is None or not 0 < large_call <= dossiers):
            raise CommandError("--large-call goes with --call-size, and within --dossiers.")
        result = synthetic_generate(
            dossiers=dossiers, seed=seed, call_size=call_size, large_call=large_call, progress=self.stdout.write
        )
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
