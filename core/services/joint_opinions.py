"""Published avis conjoint versions: the frozen snapshot that landlords and observers read."""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from core.formats import euros
from core.models import BudgetLine, Committee, Dossier, JointOpinion, Membership, Opinion, Verdict
from core.services.notifications import notify_joint_opinion_published
from core.tasks import enqueue_on_commit
from core.workflow import RECEIVED, check


def snapshot_digest(snapshot: dict) -> str:
    """SHA-256 of the snapshot in a canonical form, so that equal content gives an equal digest."""
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def published_projects(committee_ids) -> dict[tuple[int, int], dict]:
    """The latest published version of each project, keyed by (committee id, project number)."""
    # Only the latest version's content is read: earlier ones can be as large and are never shown here.
    newest = JointOpinion.objects.filter(committee=OuterRef("committee")).order_by("-version").values("version")[:1]
    latest = JointOpinion.objects.filter(committee_id__in=committee_ids, version=Subquery(newest))
    projects = {}
    for joint_opinion in latest:
        projects.update(
            version_projects(
                joint_opinion.committee_id, joint_opinion.content, joint_opinion.version, joint_opinion.uuid
            )
        )
    return projects


def project_rank(project: dict) -> str | None:
    """The rank of a project of a published version. Versions are frozen with their SHA-256, so those published
    before the rank had this name keep the key they were published with."""
    return project["rank"] if "rank" in project else project.get("priority")


def version_projects(committee_id: int, content: dict, version: int, uuid) -> dict[tuple[int, int], dict]:
    """The projects of one published version, as published_projects() gives them."""
    return {
        (committee_id, project["number"]): {**project, "rank": project_rank(project), "version": version, "uuid": uuid}
        for project in content["projects"]
    }


@dataclass
class Check:
    message: str
    blocking: bool = True
    dossier: Dossier | None = None
    # Who can lift it, and how.
    who: str = ""


class PublicationRefused(Exception):
    def __init__(self, checks: list[Check]):
        super().__init__(" ".join(check.message for check in checks))
        self.checks = checks


def _received(committee: Committee):
    """The dossiers the avis conjoint speaks of: submitted to the committee and not withdrawn."""
    return (
        committee.dossiers.filter(state__in=RECEIVED)
        .select_related("lead_landlord", "opinion", "call")
        .prefetch_related(
            "opinion__signatures", "budget_lines", "co_landlords", "partners", "advisory_opinions__organisation"
        )
        .order_by("number")
    )


WRITERS = "Les membres du comité qui ne sont pas en conflit d'intérêts sur ce dossier"


def _signers(committee: Committee) -> dict[int, list[set[int]]]:
    """For each co-chairing institution, the organisations of each of its members on the committee: a member whose
    organisations carry or partner a dossier may not sign its opinion."""
    members = Membership.objects.filter(committee=committee, role=Membership.Role.COMMITTEE_MEMBER)
    organisations: dict[int, set[int]] = {}
    for user_id, organisation_id in Membership.objects.filter(user__in=members.values("user")).values_list(
        "user_id", "organisation_id"
    ):
        organisations.setdefault(user_id, set()).add(organisation_id)
    signers: dict[int, list[set[int]]] = {}
    for user_id, institution_id in members.values_list("user_id", "organisation_id"):
        signers.setdefault(institution_id, []).append(organisations[user_id])
    return signers


def _unsigned(dossier: Dossier, institution, signers: dict[int, list[set[int]]]) -> Check:
    carriers = (
        {dossier.lead_landlord_id} | {o.pk for o in dossier.co_landlords.all()} | {o.pk for o in dossier.partners.all()}
    )
    if not any(not (organisations & carriers) for organisations in signers.get(institution.pk, [])):
        return Check(
            f"l'avis n'est pas signé par {institution}, et aucun de ses membres au comité n'est libre de tout conflit "
            "d'intérêts sur ce dossier.",
            who=f"Le secrétariat national ajoute au comité un membre de {institution} sans lien avec ce dossier.",
        )
    return Check(f"l'avis n'est pas signé par {institution}.", who=f"Un membre de {institution} le signe.")


def _dossier_checks(dossier: Dossier, institutions, cap: Decimal | None, signers) -> list[Check]:
    opinion = getattr(dossier, "opinion", None)
    if opinion is None or not opinion.verdict:
        return [Check("pas d'avis rendu.", who=f"{WRITERS} le rédigent, puis le signent.")]
    signed = {s.institution_id for s in opinion.signatures.all()}
    problems = [_unsigned(dossier, org, signers) for org in institutions if org.pk not in signed]
    if opinion.retained and opinion.verdict == Verdict.UNFAVORABLE:
        problems.append(
            Check(
                "un dossier retenu doit avoir un avis favorable ou réservé.",
                who=f"{WRITERS} le corrigent.",
            )
        )
    if opinion.retained and not opinion.rank:
        problems.append(Check("retenu sans rang de classement (P1, P2 ou P3).", who=f"{WRITERS} le classent."))
    requested = sum(
        (line.amount for line in dossier.budget_lines.all() if line.funder in BudgetLine.PROGRAMME_FUNDERS),
        start=Decimal(0),
    )
    if cap is not None and requested > cap:
        # The committee may still publish, saying so in its remarks, as PACA did in 2018.
        message = f"la somme demandée ({euros(requested)}) dépasse le plafond par projet ({euros(cap)})."
        problems.append(Check(message, blocking=False, who="Le comité peut publier, en le disant dans ses remarques."))
    return problems


def publication_checks(committee: Committee) -> list[Check]:
    """What stands between the committee and publication; each check names its dossier."""
    checks = []
    institutions = committee.institutions
    if len(institutions) < 2:
        checks.append(Check("Le comité doit avoir au moins deux institutions co-présidentes (AR Hlm et État)."))
    dossiers = list(_received(committee))
    if not dossiers:
        checks.append(Check("Aucun dossier déposé : il n'y a pas d'avis à publier."))
    signers = _signers(committee)
    for dossier in dossiers:
        label = f"Projet N°{dossier.number} « {dossier.title} »"
        for found in _dossier_checks(dossier, institutions, committee.call.cap_per_project, signers):
            checks.append(Check(f"{label} : {found.message}", found.blocking, dossier, found.who))
    return checks


def committee_snapshot(committee: Committee) -> dict:
    dossiers = list(_received(committee))
    return {
        "call": committee.call.title,
        "region": committee.name,
        "dossiers_received": len(dossiers),
        "instructed_on": (committee.instructed_on or timezone.localdate()).isoformat(),
        # The State's letterhead first, as on the committees' documents.
        "letterheads": [org.letterhead or org.name for org in reversed(committee.institutions)],
        "projects": [_project(d) for d in dossiers],
    }


def _project(dossier: Dossier) -> dict:
    # A dossier no member has written on yet has no opinion: the draft shows it without one.
    opinion = getattr(dossier, "opinion", None) or Opinion(dossier=dossier)
    return {
        "number": dossier.number,
        "title": dossier.title,
        "landlord": dossier.lead_landlord.name,
        "verdict": opinion.verdict,
        "questions": opinion.questions,
        "remarks": opinion.remarks,
        # Carried, not inferred from the rank: a committee may retain a dossier without ranking it.
        "retained": opinion.retained,
        "rank": opinion.rank or None,
        **_advisory(dossier),
    }


def _advisory(dossier: Dossier) -> dict:
    """The advisory members' opinions, as the call says: printed in the avis conjoint, or kept for the co-chairs.
    None given, no key: the versions published before them keep their digest."""
    if not dossier.call.advisory_opinions_published:
        return {}
    given = [{"organisation": a.organisation.name, "text": a.text} for a in dossier.advisory_opinions.all()]
    return {"advisory": given} if given else {}


@transaction.atomic
def joint_opinion_publish(*, committee: Committee, by) -> JointOpinion:
    """Freeze the committee's opinions as a new published version; earlier versions stay readable."""
    committee = (
        Committee.objects.select_for_update(of=("self",))
        .select_related("call")
        .prefetch_related("seats")
        .get(pk=committee.pk)
    )
    check(by, "committee.publish", committee)
    blocking = [check for check in publication_checks(committee) if check.blocking]
    if blocking:
        raise PublicationRefused(blocking)
    content = committee_snapshot(committee)
    digest = snapshot_digest(content)
    last = committee.joint_opinions.order_by("-version").first()
    if last is not None and last.sha256 == digest:
        raise PublicationRefused([Check(f"Rien n'a changé depuis la version {last.version} publiée.")])
    joint_opinion = JointOpinion.objects.create(
        committee=committee,
        version=(last.version if last else 0) + 1,
        source=JointOpinion.Source.PUBLISHED,
        content=content,
        sha256=digest,
        published_by=by,
    )
    # documents renders what core holds, and reads it through core.reading, which reads this module.
    from documents.joint_opinion_files import joint_opinion_render

    enqueue_on_commit(joint_opinion_render, joint_opinion.pk)
    enqueue_on_commit(notify_joint_opinion_published, joint_opinion.pk)
    return joint_opinion
