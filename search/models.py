from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchEntry(models.Model):
    """What a search matches for one dossier, as one audience may read it.

    The committee's working copy of the opinion and its published version are read by different
    people, so each dossier has one entry per audience and a reader only ever matches one of them.
    """

    class Audience(models.TextChoices):
        COMMITTEE = "committee", "comité (avis en cours)"
        PUBLIC = "public", "lecteurs du dossier (avis publié)"

    dossier = models.ForeignKey(
        "core.Dossier", on_delete=models.CASCADE, related_name="search_entries", verbose_name="dossier"
    )
    audience = models.CharField("public de lecture", max_length=20, choices=Audience.choices)
    text = models.TextField("texte indexé (sans accents)")
    fields = models.JSONField("champs d'origine", default=list)
    # PostgreSQL only: the text as to_tsvector('french', text), written with the entry and indexed with GIN
    # (search/migrations/0002). SQLite's FTS5 table holds its own index of the text; the column stays empty.
    vector = SearchVectorField("vecteur plein texte", null=True, editable=False)

    class Meta:
        verbose_name = "entrée de recherche"
        verbose_name_plural = "entrées de recherche"
        constraints = [models.UniqueConstraint(fields=["dossier", "audience"], name="one_search_entry_per_audience")]

    def __str__(self):
        return f"{self.dossier_id} ({self.audience})"
