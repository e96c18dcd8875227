"""Setting up a call: its regional committees, their institutions and members; opening and closing it."""

from django.contrib.auth.models import User
from django.db import transaction

from core.models import Call, Committee, Membership, Organisation
from core.regions import Region

# A call moves forward only: preparation, open to submissions, closed, decided, archived.
NEXT_STATUS = {
    Call.Status.DRAFT: Call.Status.OPEN,
    Call.Status.OPEN: Call.Status.CLOSED,
    Call.Status.CLOSED: Call.Status.DECIDED,
    Call.Status.DECIDED: Call.Status.ARCHIVED,
}


class SetupRefused(Exception):
    """The message is for the secretariat."""


def call_advance(*, call: Call, to_status: str) -> Call:
    if NEXT_STATUS.get(call.status) != to_status:
        raise SetupRefused(
            f"Un appel « {call.get_status_display()} » ne peut pas passer à « {Call.Status(to_status).label} »."
        )
    if to_status == Call.Status.OPEN and not call.committees.exists():
        raise SetupRefused("Créez au moins un comité régional avant d'ouvrir l'appel.")
    call.status = to_status
    call.save(update_fields=["status"])
    return call


def _institution(name: str, kind: str) -> Organisation:
    org = Organisation.objects.filter(name__iexact=name.strip()).first()
    if org is not None and org.kind != kind:
        raise SetupRefused(f"« {org} » est déjà enregistré comme {org.get_kind_display().lower()}.")
    return org or Organisation.objects.create(name=name.strip(), kind=kind)


@transaction.atomic
def committee_create(
    *, call: Call, region: str, ar_hlm_name: str, state_service_name: str, name: str = ""
) -> Committee:
    if call.committees.filter(region=region).exists():
        raise SetupRefused(f"L'appel a déjà un comité pour la région {Region(region).label}.")
    committee = Committee(
        call=call,
        region=region,
        name=name.strip() or Region(region).label,
        ar_hlm=_institution(ar_hlm_name, Organisation.Kind.AR_HLM),
        state_service=_institution(state_service_name, Organisation.Kind.STATE_SERVICE),
    )
    committee.full_clean()
    committee.save()
    return committee


def committee_member_add(*, committee: Committee, user: User, institution: Organisation) -> Membership:
    if institution not in committee.institutions:
        raise SetupRefused("Un membre représente l'une des deux institutions co-présidentes du comité.")
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=institution, role=Membership.Role.COMMITTEE_MEMBER, committee=committee
    )
    if not created:
        raise SetupRefused(f"{user.get_full_name() or user} est déjà membre de ce comité.")
    return membership
