"""Who may see what (DESIGN §2). Pages, downloads, exports and the API all ask these functions."""

from functools import cached_property

from django.db.models import Q, QuerySet
from django.http import Http404

from core.models import Committee, Dossier, Membership, Organisation


class Access:
    """A user's memberships, read once per request."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def memberships(self) -> list[Membership]:
        if not self.user.is_authenticated or not self.user.is_active:
            return []
        return list(self.user.memberships.select_related("organisation", "committee"))

    def _with(self, role: str) -> list[Membership]:
        return [m for m in self.memberships if m.role == role]

    @property
    def is_secretariat(self) -> bool:
        return bool(self._with(Membership.Role.SECRETARIAT))

    @property
    def is_expert(self) -> bool:
        """An invited expert sees only the dossiers sent to them."""
        return bool(self._with(Membership.Role.EXPERT))

    @cached_property
    def member_committee_ids(self) -> set[int]:
        return {m.committee_id for m in self._with(Membership.Role.COMMITTEE_MEMBER)}

    @cached_property
    def landlord_ids(self) -> set[int]:
        return {m.organisation_id for m in self._with(Membership.Role.LANDLORD_STAFF)}

    @cached_property
    def organisation_ids(self) -> set[int]:
        return {m.organisation_id for m in self.memberships}

    @cached_property
    def observer_scope(self) -> set[int | None]:
        """Committees an observer may read; None stands for every committee."""
        return {m.committee_id for m in self._with(Membership.Role.OBSERVER)}

    def dossiers(self) -> QuerySet[Dossier]:
        """The dossiers this user may see; a draft belongs to its landlord until it is submitted."""
        if self.is_secretariat:
            return Dossier.objects.all()
        if None in self.observer_scope:
            return Dossier.objects.exclude(state=Dossier.State.DRAFT)
        visible = Q(committee_id__in=self.member_committee_ids | self.observer_scope) & ~Q(state=Dossier.State.DRAFT)
        visible |= Q(lead_landlord_id__in=self.landlord_ids) | Q(co_landlords__in=self.landlord_ids)
        if self.is_expert:
            visible |= Q(expert_requests__expert=self.user)
        if not (self.member_committee_ids or self.observer_scope or self.landlord_ids or self.is_expert):
            return Dossier.objects.none()
        # co_landlords joins can repeat a dossier; filtering on ids keeps the queryset plain.
        return Dossier.objects.filter(pk__in=Dossier.objects.filter(visible).values("pk"))

    def dossier_or_404(self, pk: int) -> Dossier:
        """The dossier if this user may see it; otherwise 404, so that its existence does not leak."""
        dossier = self.dossiers().select_related("lead_landlord", "committee__call", "call").filter(pk=pk).first()
        if dossier is None:
            raise Http404("Dossier introuvable.")
        return dossier

    def in_conflict(self, dossier: Dossier) -> bool:
        """Whether the user's organisation carries or partners the dossier (uses prefetched relations)."""
        carriers = {dossier.lead_landlord_id}
        carriers |= {org.pk for org in dossier.co_landlords.all()} | {org.pk for org in dossier.partners.all()}
        return bool(self.organisation_ids & carriers)

    def conflicted_ids(self, dossiers: QuerySet[Dossier]) -> set[int]:
        """Among these dossiers, those the user's organisations carry or partner, in one query."""
        organisations = self.organisation_ids
        if not organisations:
            return set()
        carried = Q(lead_landlord_id__in=organisations) | Q(co_landlords__in=organisations)
        return set(dossiers.filter(carried | Q(partners__in=organisations)).values_list("pk", flat=True))

    def carries(self, dossier: Dossier) -> bool:
        """Whether the user works for the dossier's lead landlord or one of its co-landlords."""
        carriers = {dossier.lead_landlord_id} | set(dossier.co_landlords.values_list("pk", flat=True))
        return bool(self.landlord_ids & carriers)

    def can_act_on_opinion(self, dossier: Dossier) -> bool:
        """Draft, sign: members of the dossier's committee who are not in conflict."""
        return dossier.committee_id in self.member_committee_ids and not self.in_conflict(dossier)

    def institution_in(self, committee: Committee) -> Organisation | None:
        """The co-chairing institution this member signs for in the committee."""
        return next(
            (
                m.organisation
                for m in self._with(Membership.Role.COMMITTEE_MEMBER)
                if m.committee_id == committee.pk and m.organisation in committee.institutions
            ),
            None,
        )

    def can_read_committee(self, committee: Committee) -> bool:
        return (
            self.is_secretariat
            or committee.pk in self.member_committee_ids
            or bool(self.observer_scope & {None, committee.pk})
        )

    def committee_or_404(self, pk: int) -> Committee:
        committee = Committee.objects.select_related("call", "ar_hlm", "state_service").filter(pk=pk).first()
        if committee is None or not self.can_read_committee(committee):
            raise Http404("Comité introuvable.")
        return committee

    def can_talk_about(self, dossier: Dossier) -> bool:
        """The thread between the committee and the landlord: both sides write in it."""
        return self.carries(dossier) or self.can_act_on_opinion(dossier)

    def can_read_decision(self, decision) -> bool:
        """The national decision is the secretariat's until notified; then everyone who sees the dossier reads it."""
        return decision.notified_at is not None or self.is_secretariat

    def can_read_opinion_draft(self, dossier: Dossier) -> bool:
        """The opinion as the committee works on it: the secretariat, and members not in conflict."""
        return self.is_secretariat or self.can_act_on_opinion(dossier)
