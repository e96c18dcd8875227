"""Who may act: one predicate per kind of actor, named in the workflow's table (core/workflow.py).

Each takes the reader (core.permissions.Access: who the user is) and the object acted on. None of them looks at
states: when an action may happen is the workflow's, who may do it is here.
"""

from collections.abc import Callable

from django.db.models import Q

from core.models import Committee, Dossier, ExpertRequest, Membership, Report
from core.permissions import Access


def who(phrase: str) -> Callable:
    """Names, in French, the users a policy lets act: refusals say it."""

    def named(policy: Callable) -> Callable:
        policy.who = phrase
        return policy

    return named


@who("réservé au secrétariat national")
def secretariat(access: Access, obj) -> bool:
    """The national secretariat."""
    return access.is_secretariat


@who("réservé au bailleur porteur du dossier (pas aux bailleurs associés)")
def lead_landlord_staff(access: Access, dossier: Dossier) -> bool:
    """The staff of the dossier's lead landlord, not of a co-landlord."""
    return dossier.lead_landlord_id in access.landlord_ids


@who("réservé aux bailleurs qui portent le dossier")
def carrier_staff(access: Access, obj: Dossier | Report) -> bool:
    """The staff of the dossier's lead landlord or of one of its co-landlords (a report's: its dossier's)."""
    return access.carries(obj.dossier if isinstance(obj, Report) else obj)


@who("réservé aux porteurs de projet (bailleurs)")
def landlord_staff(access: Access, obj) -> bool:
    """Any landlord's staff, for its own organisation."""
    return access.can_create_dossiers


@who("réservé aux membres du comité qui ne sont pas en conflit d'intérêts sur ce dossier")
def committee_member(access: Access, dossier: Dossier) -> bool:
    """A member of the dossier's committee whose organisations neither carry nor partner it."""
    return access.can_act_on_opinion(dossier)


@who("réservé aux membres des institutions co-présidentes du comité, hors conflit d'intérêts")
def signatory(access: Access, dossier: Dossier) -> bool:
    """A member of the dossier's committee, not in conflict, who represents one of its co-chairing institutions."""
    return committee_member(access, dossier) and access.institution_in(dossier.committee) is not None


@who("réservé au porteur du dossier et aux membres du comité")
def thread_side(access: Access, dossier: Dossier) -> bool:
    """The two sides of the thread: the carrying landlords' staff, and the committee's members not in conflict."""
    return access.can_talk_about(dossier)


@who("réservé à l'expert sollicité")
def asked_expert(access: Access, request: ExpertRequest) -> bool:
    """The expert the advice was asked of."""
    return request.expert_id == access.user.pk and access.is_expert


@who("réservé aux membres du comité")
def committee_members(access: Access, committee: Committee) -> bool:
    """The committee's own members: its acts are not the secretariat's."""
    return committee.pk in access.member_committee_ids


POLICIES = {
    policy.__name__: policy
    for policy in (
        secretariat,
        lead_landlord_staff,
        carrier_staff,
        landlord_staff,
        committee_member,
        signatory,
        thread_side,
        asked_expert,
        committee_members,
    )
}


def may_sit_on_committee(memberships: list[Membership]) -> bool:
    """The secretariat is never a committee member: it decides on what the committees instruct."""
    return not any(m.role == Membership.Role.SECRETARIAT for m in memberships)


# Who is told: the recipients of each notification, as conditions on memberships, by the same rules as the pages.


def committee_members_of(committee_id: int) -> Q:
    """Every member of the committee: what they all read (a dossier submitted, the avis conjoint published)."""
    return Q(role=Membership.Role.COMMITTEE_MEMBER, committee_id=committee_id)


def committee_side_of(dossier: Dossier) -> Q:
    """The committee's members who act on the dossier, as committee_member() lets them: not those whose
    organisations carry or partner it."""
    carriers = {dossier.lead_landlord_id, *dossier.co_landlords.values_list("pk", flat=True)}
    carriers |= set(dossier.partners.values_list("pk", flat=True))
    return committee_members_of(dossier.committee_id) & ~Q(user__memberships__organisation_id__in=carriers)


def landlord_staff_of(dossiers) -> Q:
    """The staff of the landlords that carry these dossiers, as carrier_staff() names them."""
    dossiers = list(dossiers)
    # One query for every dossier's co-landlords: an avis conjoint or a call's decisions speak of hundreds.
    co_landlords = Dossier.co_landlords.through.objects.filter(dossier_id__in=[d.pk for d in dossiers])
    carriers = {d.lead_landlord_id for d in dossiers} | set(co_landlords.values_list("organisation_id", flat=True))
    return Q(role=Membership.Role.LANDLORD_STAFF, organisation_id__in=carriers)
