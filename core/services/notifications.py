"""E-mails sent when something happens to a dossier. Called on commit, with primary keys."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import Q

from core.models import JointOpinion, Membership


def _addresses(memberships) -> list[str]:
    return sorted({m.user.email for m in memberships.select_related("user") if m.user.email and m.user.is_active})


def notify_joint_opinion_published(joint_opinion_id: int) -> int:
    joint_opinion = JointOpinion.objects.select_related("committee__call").get(pk=joint_opinion_id)
    committee = joint_opinion.committee
    numbers = [project["number"] for project in joint_opinion.content["projects"]]
    landlords = committee.dossiers.filter(number__in=numbers).values("lead_landlord")
    recipients = _addresses(
        Membership.objects.filter(
            Q(role=Membership.Role.LANDLORD_STAFF, organisation__in=landlords)
            | Q(role=Membership.Role.COMMITTEE_MEMBER, committee=committee)
        )
    )
    subject = f"Avis conjoint publié — {committee.name} — {committee.call.title}"
    body = (
        f"Le comité régional {committee.name} a publié la version {joint_opinion.version} de son avis conjoint "
        f"sur l'appel « {committee.call.title} ».\n\nVous pouvez le consulter dans aap."
    )
    return send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients])
