from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _statistics_refresh(using: str, **kwargs) -> None:
    """SQLite plans with the statistics that ANALYZE stored, and an index created since has none: it may then
    prefer that index to the one that spares a sort. PostgreSQL's autovacuum keeps its own."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Appels à projets"

    def ready(self):
        from core.services import budgets  # noqa: F401  (connects the signals that keep Dossier.requested)

        post_migrate.connect(_statistics_refresh, sender=self)
