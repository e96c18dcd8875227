"""Setting up a call: its regional committees, their institutions and members; opening and closing it."""

from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from core.audit import audit
from core.models import Call, Committee, Membership, Organisation, Seat
from core.permissions import Access
from core.policies import may_sit_on_committee
from core.regions import Region
from core.services.conflicts import refused_on_conflict
from core.services.organisations import organisation_get_or_create
from core.workflow import CALL_STEPS, check, guard_who


class SetupRefused(Exception):
    """The message is for the secretariat."""


@transaction.atomic
def call_advance(*, call: Call, to_status: str, by) -> Call:
    """Move the call one step forward: preparation, open to submissions, closed, decided, archived."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    # The step that leads to the status asked: the workflow refuses it to whoever may not take it before saying
    # from which status it goes. None leads back to preparation: whoever may take a step is told so.
    step = next((action for action in CALL_STEPS.values() if action.target == to_status), None)
    if step is None:
        guard_who(Access(by), "call.open")
        raise SetupRefused(
            f"Un appel « {call.get_status_display()} » ne peut pas passer à « {Call.Status(to_status).label} »."
        )
    check(by, step.qualified, call)
    before = {"status": call.status}
    call.status = to_status
    call.save(update_fields=["status"])
    audit(step.qualified, by=by, subject=call, call=call, before=before, after={"status": call.status})
    return call


def _institution(name: str, kind: str) -> Organisation:
    org, _ = organisation_get_or_create(name=name, kind=kind)
    if org.kind != kind:
        raise SetupRefused(f"« {org} » est déjà enregistré comme {org.get_kind_display().lower()}.")
    return org


# A committee is co-chaired by the AR Hlm and the State, which since 2020 may sit as two services (DREETS, DREAL).
CO_CHAIRS = (2, 3)


def seat_add(*, committee: Committee, organisation: Organisation, kind: str) -> Seat:
    """Seats the organisation after the committee's others, for the services that set a committee up (they check
    their actor): each organisation once, three co-chairs at most."""
    if committee.seat_of(organisation.pk) is not None:
        raise SetupRefused(f"« {organisation} » siège déjà au comité {committee.name}.")
    if kind == Seat.Kind.CO_CHAIR and len(committee.institutions) >= CO_CHAIRS[-1]:
        raise SetupRefused(f"Un comité a au plus {CO_CHAIRS[-1]} institutions co-présidentes.")
    last = committee.seats.aggregate(last=Max("position"))["last"] or 0
    return committee.seats.create(organisation=organisation, kind=kind, position=last + 1)


@transaction.atomic
def committee_create(
    *, call: Call, region: str, ar_hlm_name: str, state_service_name: str, third_co_chair_name: str = "",
    advisory_names: Sequence[str] = (), name: str = "", envelope: Decimal | None = None, by,
) -> Committee:  # fmt: skip
    """A regional committee, co-chaired by its AR Hlm, the State's service and, since 2020, a second State service,
    with its advisory members (a housing foundation, Action Logement), each seated in the order given."""
    check(by, "call.add_committee", call)
    if call.committees.filter(region=region).exists():
        raise SetupRefused(f"L'appel a déjà un comité pour la région {Region(region).label}.")
    name = name.strip() or Region(region).label
    if call.committees.filter(name=name).exists():
        raise SetupRefused(f"L'appel a déjà un comité nommé « {name} ».")
    co_chairs = [
        _institution(text.strip(), kind)
        for text, kind in (
            (ar_hlm_name, Organisation.Kind.AR_HLM),
            (state_service_name, Organisation.Kind.STATE_SERVICE),
            (third_co_chair_name, Organisation.Kind.STATE_SERVICE),
        )
        if text.strip()
    ]
    if len(co_chairs) < CO_CHAIRS[0]:
        raise SetupRefused("Un comité est co-présidé par l'association régionale Hlm et un service de l'État au moins.")
    advisers = [
        organisation_get_or_create(name=text, kind=Organisation.Kind.OTHER)[0]
        for text in filter(None, (text.strip() for text in advisory_names))
    ]
    with refused_on_conflict(SetupRefused(f"Un comité pour cette région ou nommé « {name} » vient d'être créé.")):
        committee = Committee(call=call, region=region, name=name, envelope=envelope)
        # The constraints are checked above, with their own message; one met here is met in the database.
        committee.full_clean(validate_constraints=False)
        committee.save()
    for organisation in co_chairs:
        seat_add(committee=committee, organisation=organisation, kind=Seat.Kind.CO_CHAIR)
    for organisation in advisers:
        seat_add(committee=committee, organisation=organisation, kind=Seat.Kind.ADVISORY)
    after = {"region": committee.region, "co_chairs": [str(org) for org in committee.institutions],
             "advisers": [str(org) for org in committee.advisers], "envelope": str(committee.envelope)}  # fmt: skip
    audit("call.add_committee", by=by, subject=committee, committee=committee, after=after)
    return committee


@transaction.atomic
def committee_member_add(*, committee: Committee, user: User, institution: Organisation, by) -> Membership:
    check(by, "committee.add_member", committee)
    if committee.seat_of(institution.pk) is None:
        raise SetupRefused(
            "Un membre représente l'une des institutions co-présidentes du comité ou l'un de ses membres à voix "
            "consultative."
        )
    if not may_sit_on_committee(list(user.memberships.all())):
        raise SetupRefused(
            f"{user.get_full_name() or user} appartient au secrétariat national, qui ne siège dans aucun comité : "
            "il décide sur ce que les comités instruisent."
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=institution, role=Membership.Role.COMMITTEE_MEMBER, committee=committee
    )
    if not created:
        raise SetupRefused(f"{user.get_full_name() or user} est déjà membre de ce comité.")
    audit("committee.add_member", by=by, subject=membership, committee=committee,
          after={"user": user.username, "institution": str(institution), "role": membership.role})  # fmt: skip
    return membership


CALL_FIELDS = (
    "title", "edition", "year", "opens_on", "submission_deadline", "instruction_deadline", "national_envelope",
    "cap_per_project", "max_duration_years", "strands", "required_documents", "grantor", "hlm_share_min",
    "hlm_share_mode", "fund_share_max", "fund_share_mode", "cap_mode", "envelope_mode", "process",
    "advisory_opinions_published",
    "departmental_preinstruction",
)  # fmt: skip


def process_refusal(call: Call | None, process: str) -> str | None:
    """A call's process is chosen while it is prepared: once open, its dossiers are submitted to who decides."""
    if call is None or call.status == Call.Status.DRAFT or process == call.process:
        return None
    return (
        f"Le processus de décision d'un appel « {call.get_status_display()} » ne change plus : il reste "
        f"« {call.get_process_display()} »."
    )


@transaction.atomic
def call_save(*, call: Call | None, values: dict, by) -> Call:
    """Create a call (in preparation) or change its settings; `values` are CALL_FIELDS and `publics`."""
    # Re-read: a ModelForm has already written its values on the instance it was given.
    call = Call.objects.select_for_update().get(pk=call.pk) if call else None
    check(by, "call.edit" if call else "call.create", call or Call())
    if reason := process_refusal(call, values["process"]):
        raise SetupRefused(reason)
    before = {name: str(getattr(call, name)) for name in CALL_FIELDS} if call else {}
    call = call or Call()
    for name in CALL_FIELDS:
        setattr(call, name, values[name])
    # The edition is unique: CallForm checks it; a call saved meanwhile with the same one is met in the database.
    with refused_on_conflict(SetupRefused(f"Un autre appel vient d'être enregistré avec l'édition {call.edition}.")):
        call.full_clean(validate_unique=False)
        call.save()
    call.publics.set(values["publics"])
    after = {name: str(getattr(call, name)) for name in CALL_FIELDS}
    changed = {name for name in after if before.get(name) != after[name]}
    audit("call.edit" if before else "call.create", by=by, subject=call, call=call,
          before={name: before[name] for name in changed if name in before},
          after={name: after[name] for name in changed})  # fmt: skip
    return call
