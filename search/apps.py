from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Recherche"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from search import index  # noqa: F401  (connects the signals that keep the index current)
