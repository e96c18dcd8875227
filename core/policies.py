"""Who may act: one predicate per kind of actor, named in the workflow's table (core/workflow.py).

Each takes the reader (core.permissions.Access: who the user is) and the object acted on. None of them looks at
states: when an action may happen is the workflow's, who may do it is here.
"""

from collections.abc import Callable

from django.db.models import Q

from core.models import (
    ArchiveImport,
    Call,
    Committee,
    Dossier,
    ExpertRequest,
    Export,
    Invitation,
    Membership,
    Organisation,
    Report,
)
from core.permissions import NOTHING, Access, carried_by, dossier_departments


def who(phrase: str) -> Callable:
    """Names, in French, the users a policy lets act: refusals say it."""

    def named(policy: Callable) -> Callable:
        policy.who = phrase
        return policy

    return named


def as_filter(form: Callable) -> Callable:
    """Gives a policy or a condition its form as a filter on many rows at once, for the lists that say what awaits a
    user (core/workspace.py): the same rule, asked of the database. A policy's form takes the reader and the path from
    the rows to their dossier; a condition's, the reader."""

    def attach(rule: Callable) -> Callable:
        rule.where = form
        return rule

    return attach


@who("réservé au secrétariat national")
@as_filter(lambda access, prefix: Q() if access.is_secretariat else NOTHING)
def secretariat(access: Access, obj) -> bool:
    """The national secretariat."""
    return access.is_secretariat


@who("réservé au bailleur porteur du dossier (pas aux bailleurs associés)")
@as_filter(lambda access, prefix: Q(**{f"{prefix}lead_landlord_id__in": access.landlord_ids}))
def lead_landlord_staff(access: Access, dossier: Dossier) -> bool:
    """The staff of the dossier's lead landlord, not of a co-landlord."""
    return dossier.lead_landlord_id in access.landlord_ids


@who("réservé aux bailleurs qui portent le dossier")
@as_filter(lambda access, prefix: carried_by(access.landlord_ids, prefix) if access.landlord_ids else NOTHING)
def carrier_staff(access: Access, obj: Dossier | Report) -> bool:
    """The staff of the dossier's lead landlord or of one of its co-landlords (a report's: its dossier's)."""
    return access.carries(obj.dossier if isinstance(obj, Report) else obj)


@who("réservé aux porteurs de projet (bailleurs)")
def landlord_staff(access: Access, obj) -> bool:
    """Any landlord's staff, for its own organisation."""
    return access.can_create_dossiers


@who("réservé aux membres du comité qui ne sont pas en conflit d'intérêts sur ce dossier")
@as_filter(lambda access, prefix: access.acts_on_opinions(prefix))
def committee_member(access: Access, dossier: Dossier) -> bool:
    """A member of the dossier's committee whose organisations neither carry nor partner it."""
    return access.can_act_on_opinion(dossier)


@who("réservé aux membres des institutions co-présidentes du comité, hors conflit d'intérêts")
@as_filter(lambda access, prefix: access.acts_on_opinions(prefix) & access.signs_for(prefix))
def signatory(access: Access, dossier: Dossier) -> bool:
    """A member of the dossier's committee, not in conflict, who represents one of its co-chairing institutions."""
    return committee_member(access, dossier) and access.institution_in(dossier.committee) is not None


def _decides(access: Access, prefix: str) -> Q:
    """decider() as a filter: the call's process says whose filter applies to each row."""
    national = Q(**{f"{prefix}call__process": Call.Process.NATIONAL}) & secretariat.where(access, prefix)
    # Only members of a regional decision's committee decide as members (their memberships carry their calls): for
    # any other, NOTHING, which Django answers without a query, as the workspace of a national call's member did.
    if not any(
        m.role == m.Role.COMMITTEE_MEMBER and m.committee.call.process == Call.Process.REGIONAL
        for m in access.memberships
    ):
        return national
    regional = Q(**{f"{prefix}call__process": Call.Process.REGIONAL}) & signatory.where(access, prefix)
    return national | regional


@who(
    "réservé au secrétariat national sur un appel à sélection nationale, et aux membres des institutions "
    "co-présidentes du comité, hors conflit d'intérêts, sur un appel à décision régionale"
)
@as_filter(_decides)
def decider(access: Access, obj: Dossier) -> bool:
    """Who decides on the dossier, notifies and agrees it, as its call's process says (Call.process): the secretariat
    on a national selection; on a regional decision, the committee, through the members who sign its opinions."""
    if obj is None:
        # A page that chooses its dossier later: whether this user decides on any.
        return access.is_secretariat or any(m.role == m.Role.COMMITTEE_MEMBER for m in access.memberships)
    if obj.call.process == Call.Process.REGIONAL:
        return signatory(access, obj)
    return secretariat(access, obj)


@who("réservé aux membres à voix consultative du comité, hors conflit d'intérêts")
def advisory_member(access: Access, dossier: Dossier) -> bool:
    """A member of the dossier's committee, not in conflict, who sits for one of its advisory members: its opinion is
    its own, never the committee's."""
    return committee_member(access, dossier) and access.advisory_seat_in(dossier.committee) is not None


@who("réservé aux membres des institutions co-présidentes du comité")
def committee_chairs(access: Access, committee: Committee) -> bool:
    """The members who represent one of the committee's co-chairing institutions: its acts as a decider."""
    return access.institution_in(committee) is not None


@who("réservé au porteur du dossier et aux membres du comité")
def thread_side(access: Access, dossier: Dossier) -> bool:
    """The two sides of the thread: the carrying landlords' staff, and the committee's members not in conflict."""
    return access.can_talk_about(dossier)


@who("réservé à l'expert sollicité")
@as_filter(lambda access, prefix: Q(expert_id=access.user.pk) if access.is_expert else NOTHING)
def asked_expert(access: Access, request: ExpertRequest) -> bool:
    """The expert the advice was asked of."""
    return request.expert_id == access.user.pk and access.is_expert


@who("réservé à l'instructeur départemental d'un département du dossier, pour le comité régional du dossier")
@as_filter(lambda access, prefix: access.in_departments(prefix))
def departmental_instructor(access: Access, dossier: Dossier) -> bool:
    """An instructor of a department's State service on the dossier's committee, for a department the dossier
    covers."""
    return bool(access.instructed_departments(dossier))


@who("réservé aux membres du comité")
def committee_members(access: Access, committee: Committee) -> bool:
    """The committee's own members: its acts are not the secretariat's."""
    return committee.pk in access.member_committee_ids


@who("réservé aux lecteurs du comité : ses membres, ses observateurs et le secrétariat national")
def committee_reader(access: Access, committee: Committee) -> bool:
    """Whoever reads the committee's pages: its members, its observers, the national readers."""
    return access.can_read_committee(committee)


@who("réservé au secrétariat national et aux observateurs de tous les comités")
def national_reader(access: Access, obj) -> bool:
    """Whoever reads the whole programme: the secretariat, and the observers of every committee."""
    return access.is_national


@who("réservé à la personne qui a demandé l'export")
@as_filter(lambda access, prefix: Q(**{f"{prefix}requested_by_id": access.user.pk}))
def requester(access: Access, export: Export) -> bool:
    """The user who asked for the export: it holds what that user reads, and no one else's reading."""
    return export.requested_by_id == access.user.pk


@who(
    "réservé au secrétariat national et aux membres des institutions co-présidentes d'un comité, pour les imports "
    "qu'ils ont déposés"
)
@as_filter(
    lambda access, prefix: (
        Q()
        if access.is_secretariat
        else Q(**{f"{prefix}uploaded_by_id": access.user.pk})
        if access.import_regions
        else NOTHING
    )
)
def importer(access: Access, archive: ArchiveImport | None) -> bool:
    """The secretariat, for every import; a member who represents a co-chairing institution of a regional committee,
    for the imports they uploaded (whose region the workflow checks: own_region)."""
    if access.is_secretariat:
        return True
    if not access.import_regions:
        return False
    return archive is None or archive.pk is None or archive.uploaded_by_id == access.user.pk


@who(
    "réservé à qui l'a déposé et au secrétariat national ; une fois l'import confirmé, aussi aux lecteurs du comité : "
    "ses membres et ses observateurs"
)
@as_filter(
    # Q() | Q(x) is Q(x) in Django: the secretariat's "every row" is not OR-ed.
    lambda access, prefix: (
        Q()
        if access.is_secretariat
        else importer.where(access, prefix)
        | Q(**{f"{prefix}committee__in": Committee.objects.filter(access.readable_committees())})
    )
)
def archive_reader(access: Access, archive: ArchiveImport) -> bool:
    """Who reads an import: who acts on it (importer); and once confirmed, the file being the committee's archive, the
    readers of the committee it wrote (which only a confirmed import has)."""
    if importer(access, archive):
        return True
    return archive.committee_id is not None and access.can_read_committee(archive.committee)


# The roles an invitation may give: who comes to the committees, pre-instructs their dossiers, reads them, or carries
# dossiers. The secretariat and the experts are set up by support (the admin).
INVITED_ROLES = (
    Membership.Role.COMMITTEE_MEMBER,
    Membership.Role.DEPARTMENTAL_INSTRUCTOR,
    Membership.Role.OBSERVER,
    Membership.Role.LANDLORD_STAFF,
)


@who(
    "réservé au secrétariat national, aux bailleurs pour inviter leurs collègues de leur propre organisme, et aux "
    "membres des institutions co-présidentes d'un comité pour inviter ses instructeurs départementaux"
)
def inviter(access: Access, invitation: Invitation | None) -> bool:
    """The secretariat invites anyone to any of INVITED_ROLES; a landlord's staff invite colleagues, as landlord staff
    of their own organisation; the members of a committee's co-chairing institutions its departmental instructors.
    Without an invitation yet (the form's page): whether this user may invite anyone."""
    if access.is_secretariat:
        return invitation is None or invitation.role in INVITED_ROLES
    if invitation is None:
        return bool(access.landlord_ids or access.chaired_committees())
    if invitation.role == Membership.Role.DEPARTMENTAL_INSTRUCTOR:
        return invitation.committee is not None and committee_chairs(access, invitation.committee)
    return invitation.role == Membership.Role.LANDLORD_STAFF and invitation.organisation_id in access.landlord_ids


def invitable_organisations(access: Access):
    """The organisations this user may invite for: inviter()'s rule as a query, for the form's choices."""
    if access.is_secretariat:
        return Organisation.objects.all()
    departmental = Q(kind=Organisation.Kind.DEPARTMENTAL_SERVICE) if access.chaired_committees() else NOTHING
    return Organisation.objects.filter(Q(pk__in=access.landlord_ids) | departmental)


def invitable_committees(access: Access):
    """The committees this user may invite for, as the form's choices: every one for the secretariat, a co-chair's
    own."""
    committees = Committee.objects.select_related("call").order_by("-call__edition", "name")
    if access.is_secretariat:
        return committees
    return committees.filter(pk__in=[committee.pk for committee in access.chaired_committees()])


def invitable_roles(access: Access) -> list[tuple[str, str]]:
    """The roles this user may give, as the form's choices."""
    roles = list(INVITED_ROLES) if access.is_secretariat else []
    if not access.is_secretariat and access.landlord_ids:
        roles.append(Membership.Role.LANDLORD_STAFF)
    if not access.is_secretariat and access.chaired_committees():
        roles.append(Membership.Role.DEPARTMENTAL_INSTRUCTOR)
    return [(role.value, role.label) for role in roles]


@who("réservé à la personne invitée, qui a reçu le lien")
def invitee(access: Access, invitation: Invitation) -> bool:
    """Whoever holds the e-mailed link: its secret is the proof (only its digest is stored). For an address that has
    an account, that account alone, logged in (core/workflow.py, by_its_account)."""
    return True


# The organisations whose staff log in with a password: landlords and associations are not public agents.
PASSWORD_ONLY_KINDS = {Organisation.Kind.LANDLORD, Organisation.Kind.ASSOCIATION, Organisation.Kind.AR_HLM}


@who(
    "réservé aux agents publics : le personnel des bailleurs et des associations se connecte avec son identifiant "
    "et son mot de passe"
)
def public_agent(access: Access, user) -> bool:
    """ProConnect serves the State's agents: an account that carries dossiers, or works for a landlord or an
    association, keeps its password."""
    return not any(
        m.role == Membership.Role.LANDLORD_STAFF or m.organisation.kind in PASSWORD_ONLY_KINDS
        for m in access.memberships
    )


POLICIES = {
    policy.__name__: policy
    for policy in (
        secretariat,
        lead_landlord_staff,
        carrier_staff,
        landlord_staff,
        committee_member,
        signatory,
        decider,
        committee_chairs,
        advisory_member,
        thread_side,
        asked_expert,
        departmental_instructor,
        committee_members,
        importer,
        archive_reader,
        inviter,
        invitee,
        public_agent,
    )
}


def may_sit_on_committee(memberships: list[Membership]) -> bool:
    """The secretariat is never a committee member: it decides on what the committees instruct."""
    return not any(m.role == Membership.Role.SECRETARIAT for m in memberships)


# Who is told: the recipients of each notification, as conditions on memberships, by the same rules as the pages.


def committee_members_of(committee_id: int) -> Q:
    """Every member of the committee: what they all read (a dossier submitted, the avis conjoint published)."""
    return Q(role=Membership.Role.COMMITTEE_MEMBER, committee_id=committee_id)


def departmental_instructors_of(dossier: Dossier) -> Q:
    """The instructors who pre-instruct one of the dossier's departments on its committee, as
    departmental_instructor() names them."""
    return Q(
        role=Membership.Role.DEPARTMENTAL_INSTRUCTOR,
        committee_id=dossier.committee_id,
        department__in=dossier_departments(dossier),
    )


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
