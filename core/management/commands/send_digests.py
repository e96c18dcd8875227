from django.core.management.base import BaseCommand

from core.services.notifications import send_digests


class Command(BaseCommand):
    help = "Envoie le récapitulatif quotidien aux utilisateurs qui l'ont choisi (à lancer une fois par jour)."

    def handle(self, *args, **options):
        sent = send_digests()
        self.stdout.write(f"{sent} récapitulatif(s) envoyé(s).")
