from django.core.management.base import BaseCommand

from core.services.schedule import schedule_run


class Command(BaseCommand):
    help = (
        "Queues the day's work (report reminders, daily digests, deletion of exports older than a week) for the "
        "workers; with --now, does it in this process. Run it once a day, from cron or a systemd timer: it sends "
        "nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="do the work here rather than queue it")
        parser.add_argument("--date", default="", help="the day the run stands for, as YYYY-MM-DD (default: today)")

    def handle(self, *args, now: bool, date: str, **options):
        if now:
            done = schedule_run.call(date)
            self.stdout.write(", ".join(f"{key}: {value}" for key, value in done.items()))
        else:
            result = schedule_run.enqueue(date)
            self.stdout.write(f"Queued: task {result.id}.")
