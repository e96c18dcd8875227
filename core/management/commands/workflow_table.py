from django.core.management.base import BaseCommand

from core.workflow import markdown


class Command(BaseCommand):
    help = "Prints the declared workflow as docs/architecture.md shows it."

    def handle(self, *args, **options) -> None:
        self.stdout.write(markdown())
