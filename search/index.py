"""The search entries of each dossier, rewritten in the same transaction as whatever changes them."""

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Value
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django_tasks import task

from core.models import Dossier, JointOpinion, Opinion
from core.services.joint_opinions import published_projects
from core.tasks import enqueue_on_commit
from search.models import SearchEntry
from search.text import fold_keeping_ligatures

BATCH = 2000

# Markdown markers of the rich-text subset; excerpts show the words, not the markup.
_MARKUP = re.compile(r"\^\^|\*\*|\*|^\s*(?:[-+]|\d+\.)\s+", re.MULTILINE)


def plain(markdown_text: str) -> str:
    return " ".join(_MARKUP.sub(" ", markdown_text).split())


def _fields(dossier: Dossier, questions: str, remarks: str) -> list[list[str]]:
    fields = [
        ["Nom du projet", dossier.title],
        ["Résumé", plain(dossier.summary)],
        ["Publics", ", ".join(public.name for public in dossier.publics.all())],
        ["Partenaires", ", ".join(partner.name for partner in dossier.partners.all())],
        ["Questions soulevées", plain(questions)],
        ["Remarques / avis global", plain(remarks)],
    ]
    return [[label, text] for label, text in fields if text]


def _vector(text: str) -> SearchVector | None:
    """What search/engine.py matches on PostgreSQL, computed in the INSERT itself (SQLite: its FTS5 triggers)."""
    return SearchVector(Value(text), config="french") if connection.vendor == "postgresql" else None


def _entries(dossier: Dossier, published: dict) -> list[SearchEntry]:
    opinion = getattr(dossier, "opinion", None)
    project = published.get((dossier.committee_id, dossier.number), {})
    audiences = {
        SearchEntry.Audience.COMMITTEE: (opinion.questions, opinion.remarks) if opinion else ("", ""),
        SearchEntry.Audience.PUBLIC: (project.get("questions", ""), project.get("remarks", "")),
    }
    entries = []
    for audience, (questions, remarks) in audiences.items():
        fields = _fields(dossier, questions, remarks)
        text = fold_keeping_ligatures(" \n".join(text for _, text in fields))
        entries.append(SearchEntry(dossier=dossier, audience=audience, text=text, fields=fields, vector=_vector(text)))
    return entries


def reindex(dossier_ids: Iterable[int] | None = None) -> int:
    """Rewrite the entries of these dossiers (of all dossiers when None); returns how many dossiers.

    Committee by committee, so that only one committee's published avis conjoint is held at a time."""
    dossiers = Dossier.objects.select_related("opinion").prefetch_related("publics", "partners").order_by("pk")
    if dossier_ids is not None:
        dossiers = dossiers.filter(pk__in=list(dossier_ids))
    done = 0
    for committee_id in sorted(set(dossiers.values_list("committee_id", flat=True))):
        published, last = published_projects([committee_id]), 0
        while batch := list(dossiers.filter(committee_id=committee_id, pk__gt=last)[:BATCH]):
            ids = [dossier.pk for dossier in batch]
            SearchEntry.objects.filter(dossier_id__in=ids).delete()
            SearchEntry.objects.bulk_create([entry for dossier in batch for entry in _entries(dossier, published)])
            done, last = done + len(batch), ids[-1]
    return done


@receiver(post_save, sender=Dossier)
def _dossier_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        reindex([instance.pk])


@receiver(post_save, sender=Opinion)
def _opinion_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        reindex([instance.dossier_id])


@task()
def reindex_committee(committee_id: int) -> int:
    """Every dossier of a committee, whose published avis conjoint changed: a task, for the hundreds of dossiers."""
    return reindex(Dossier.objects.filter(committee_id=committee_id).values_list("pk", flat=True))


@receiver(post_save, sender=JointOpinion)
def _joint_opinion_saved(sender, instance, created, raw=False, **kwargs):
    # A version's content is frozen when it is written: saving its rendered files changes nothing the search reads.
    if created and not raw:
        enqueue_on_commit(reindex_committee, instance.committee_id)


@receiver(m2m_changed, sender=Dossier.partners.through)
@receiver(m2m_changed, sender=Dossier.publics.through)
def _dossier_links_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    reindex(pk_set if reverse else [instance.pk])
