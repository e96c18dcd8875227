from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Appels à projets"

    def ready(self):
        from core.services import budgets  # noqa: F401  (connects the signals that keep Dossier.requested)
