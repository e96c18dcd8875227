"""Who may see what (DESIGN §2). Pages, downloads, exports and the API all ask these functions."""

import operator
from functools import cached_property, reduce
from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from core.models import (
    Call,
    Committee,
    Dossier,
    ExpertRequest,
    Invitation,
    JointOpinion,
    Membership,
    Organisation,
    Report,
    Seat,
    Territory,
)


class Access:
    """A user's memberships, read once per request."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def memberships(self) -> list[Membership]:
        """Read once per user object, as Django's ModelBackend caches permissions on it (_perm_cache): a request's
        page and its header's navigation ask the same user, and a request loads its user afresh."""
        if not self.user.is_authenticated or not self.user.is_active:
            return []
        cached = getattr(self.user, "_memberships_cache", None)
        if cached is None:
            # The seat each committee membership's organisation holds, read with it: who signs, who gives advice.
            # One at most (unique per committee): unordered, the subquery joins neither the committee nor its call
            # for Seat's ordering, a fifth of this query's time on every page.
            seat = Seat.objects.filter(
                committee=OuterRef("committee"), organisation=OuterRef("organisation")
            ).order_by()
            cached = list(
                self.user.memberships.select_related("organisation", "committee__call").annotate(
                    seat_kind=Subquery(seat.values("kind")[:1])
                )
            )
            self.user._memberships_cache = cached
        return cached

    def _with(self, role: str) -> list[Membership]:
        return [m for m in self.memberships if m.role == role]

    @property
    def is_secretariat(self) -> bool:
        return bool(self._with(Membership.Role.SECRETARIAT))

    @property
    def is_expert(self) -> bool:
        """An invited expert sees only the dossiers sent to them."""
        return bool(self._with(Membership.Role.EXPERT))

    @property
    def is_national(self) -> bool:
        """Reads the whole programme: the secretariat, and observers of every committee."""
        return self.is_secretariat or None in self.observer_scope

    @cached_property
    def member_committee_ids(self) -> set[int]:
        return {m.committee_id for m in self._with(Membership.Role.COMMITTEE_MEMBER)}

    @cached_property
    def landlord_ids(self) -> set[int]:
        return {m.organisation_id for m in self._with(Membership.Role.LANDLORD_STAFF)}

    @property
    def can_create_dossiers(self) -> bool:
        """Only a landlord's staff start a dossier, for their organisation."""
        return bool(self.landlord_ids)

    @cached_property
    def organisation_ids(self) -> set[int]:
        return {m.organisation_id for m in self.memberships}

    @cached_property
    def observer_scope(self) -> set[int | None]:
        """Committees an observer may read; None stands for every committee."""
        return {m.committee_id for m in self._with(Membership.Role.OBSERVER)}

    @cached_property
    def instructed(self) -> dict[int, set[str]]:
        """The departments a departmental instructor pre-instructs, by committee."""
        departments: dict[int, set[str]] = {}
        for m in self._with(Membership.Role.DEPARTMENTAL_INSTRUCTOR):
            departments.setdefault(m.committee_id, set()).add(m.department)
        return departments

    def in_departments(self, prefix: str = "") -> Q:
        """The dossiers that cover a department this instructor pre-instructs, on its committee, whatever their state
        (prefix: the path from the rows filtered to their dossier)."""
        ways = [
            Q(**{f"{prefix}committee_id": committee_id})
            & Q(**{f"{prefix}pk__in": Territory.objects.filter(department__in=departments).values("dossier_id")})
            for committee_id, departments in sorted(self.instructed.items())
        ]
        return reduce(operator.or_, ways) if ways else NOTHING

    def instructed_departments(self, dossier: Dossier) -> list[str]:
        """The dossier's departments this user pre-instructs (uses its prefetched territories)."""
        own = self.instructed.get(dossier.committee_id)
        return sorted(own & dossier_departments(dossier)) if own else []

    def departments_read(self, dossier: Dossier) -> list[str]:
        """The dossier's departments whose opinions this user reads: every one for whoever reads the committee's
        working opinion (the committee weighs them before it signs its own), an instructor's own departments."""
        if self.can_read_opinion_draft(dossier):
            return sorted(dossier_departments(dossier))
        return self.instructed_departments(dossier)

    @property
    def sees_no_dossier(self) -> bool:
        """An account with no role that shows dossiers: no membership yet."""
        return not (self.is_national or self._ways_in())

    def _ways_in(self) -> list[Q]:
        """Each way a reader of committees, landlords' dossiers, expert requests or departments sees a dossier, as a
        condition that one index serves."""
        ways = []
        if committees := self.member_committee_ids | self.observer_scope:
            ways.append(Q(committee_id__in=committees) & ~Q(state=Dossier.State.DRAFT))
        if self.landlord_ids:
            ways.append(carried_by(self.landlord_ids))
        if self.is_expert:
            ways.append(Q(pk__in=ExpertRequest.objects.filter(expert=self.user).values("dossier_id")))
        if self.instructed:
            # A departmental instructor reads the dossiers submitted that cover its departments, as a committee's
            # member reads its committee's: a draft is its landlord's alone.
            ways.append(self.in_departments() & ~Q(state=Dossier.State.DRAFT))
        return ways

    def sees(self) -> Q:
        """Whether this user sees a dossier, as a condition on its row: to check one dossier (a 404 otherwise), where
        dossiers() would list every dossier the reader sees first. A draft belongs to its landlord until it is
        submitted."""
        if self.is_secretariat:
            return Q()
        if self.is_national:
            return ~Q(state=Dossier.State.DRAFT)
        ways = self._ways_in()
        return reduce(operator.or_, ways) if ways else Q(pk__in=[])

    def dossiers(self) -> QuerySet[Dossier]:
        """The dossiers this user may see. A narrow reader's are one UNION of index lookups: the OR of sees() lets
        no index serve any of its conditions, and PostgreSQL estimated a landlord's few hundred dossiers at a fifth
        of the table; it read the whole table for their home page and every entry matching a word for their
        search (110 and 300 ms at 100 000 dossiers)."""
        ways = [] if self.is_national else self._ways_in()
        if len(ways) < 2:
            # One way in (a committee's member): its condition alone, which the indexes serve as it is.
            return Dossier.objects.filter(self.sees())
        ids = [Dossier.objects.filter(way).order_by().values("pk") for way in ways]
        return Dossier.objects.filter(pk__in=ids[0].union(*ids[1:]))

    def dossier_or_404(self, pk: int) -> Dossier:
        """The dossier if this user may see it; otherwise 404, so that its existence does not leak."""
        dossier = (
            Dossier.objects.select_related("lead_landlord", "committee__call", "call")
            .filter(self.sees(), pk=pk)
            .first()
        )
        if dossier is None:
            raise Http404("Dossier introuvable.")
        return dossier

    def in_conflict(self, dossier: Dossier) -> bool:
        """Whether the user's organisation carries or partners the dossier (uses prefetched relations)."""
        carriers = {dossier.lead_landlord_id}
        carriers |= {org.pk for org in dossier.co_landlords.all()} | {org.pk for org in dossier.partners.all()}
        return bool(self.organisation_ids & carriers)

    def carries(self, dossier: Dossier) -> bool:
        """Whether the user works for the dossier's lead landlord or one of its co-landlords (uses prefetched
        relations)."""
        if not self.landlord_ids:
            return False
        carriers = {dossier.lead_landlord_id} | {org.pk for org in dossier.co_landlords.all()}
        return bool(self.landlord_ids & carriers)

    def can_act_on_opinion(self, dossier: Dossier) -> bool:
        """Draft, sign: members of the dossier's committee who are not in conflict."""
        return dossier.committee_id in self.member_committee_ids and not self.in_conflict(dossier)

    def _seated(self, kind: str) -> list[Membership]:
        """The committee memberships whose organisation holds a seat of this kind in their committee (from the
        memberships alone)."""
        return [m for m in self._with(Membership.Role.COMMITTEE_MEMBER) if m.seat_kind == kind]

    def _seat_in(self, committee: Committee, kind: str) -> Organisation | None:
        return next((m.organisation for m in self._seated(kind) if m.committee_id == committee.pk), None)

    def institution_in(self, committee: Committee) -> Organisation | None:
        """The co-chairing institution this member signs for in the committee."""
        return self._seat_in(committee, Seat.Kind.CO_CHAIR)

    def advisory_seat_in(self, committee: Committee) -> Organisation | None:
        """The advisory member this member gives its opinions for in the committee: it never signs nor decides."""
        return self._seat_in(committee, Seat.Kind.ADVISORY)

    def chaired_committees(self) -> list[Committee]:
        """The committees where this member represents a co-chairing institution (institution_in): they invite their
        departmental instructors."""
        return [
            m.committee
            for m in self._with(Membership.Role.COMMITTEE_MEMBER)
            if self.institution_in(m.committee) is not None
        ]

    @cached_property
    def import_regions(self) -> set[str]:
        """The regions whose past avis conjoints this user imports: those of the committees where it represents one
        of the co-chairing institutions (institution_in)."""
        return {m.committee.region for m in self._seated(Seat.Kind.CO_CHAIR) if m.committee.region}

    def own_committees(self) -> list[Committee]:
        """The committees this user sits on or observes by name (not every committee, as a national observer does),
        the latest call first: no query beyond the memberships."""
        committees = {
            m.committee_id: m.committee
            for m in self.memberships
            if m.committee_id is not None and m.role in (Membership.Role.COMMITTEE_MEMBER, Membership.Role.OBSERVER)
        }
        return sorted(committees.values(), key=lambda c: (-c.call.year, -c.call_id, c.name))

    def can_read_committee(self, committee: Committee) -> bool:
        return (
            self.is_secretariat
            or committee.pk in self.member_committee_ids
            or bool(self.observer_scope & {None, committee.pk})
        )

    def readable_committees(self) -> Q:
        """can_read_committee as a filter on committees."""
        if self.is_secretariat or None in self.observer_scope:
            return Q()
        return Q(pk__in=self.member_committee_ids | self.observer_scope)

    def committees(self) -> QuerySet[Committee]:
        """The committees whose pages the user reads, and those of the dossiers it sees (a landlord's, an expert's)."""
        if self.is_national:
            return Committee.objects.all()
        ids = self.member_committee_ids | self.observer_scope
        return Committee.objects.filter(Q(pk__in=ids) | Q(pk__in=self.dossiers().values("committee_id")))

    def committee_or_404(self, pk: int | None = None, *, uuid: UUID | None = None) -> Committee:
        """By its id (pages) or its uuid (files); 404 to whoever may not read it."""
        lookup = {"pk": pk} if uuid is None else {"uuid": uuid}
        committee = Committee.objects.select_related("call").prefetch_related("seats").filter(**lookup).first()
        if committee is None or not self.can_read_committee(committee):
            raise Http404("Comité introuvable.")
        return committee

    def can_read_committee_drafts(self, committee: Committee) -> bool:
        """The committee's working opinions as a whole (PROJET draft, publication checks): its members and the
        secretariat; a member in conflict still gets them without the dossiers it is in conflict on."""
        return self.is_secretariat or committee.pk in self.member_committee_ids

    def joint_opinion_sections(self, committee: Committee) -> set[int] | None:
        """The dossier numbers whose sections of the committee's published avis conjoint this user reads: None
        for all of them (the committee's readers), else the numbers of the dossiers it sees (a landlord's own)."""
        if self.can_read_committee(committee):
            return None
        return set(self.dossiers().filter(committee=committee).values_list("number", flat=True))

    def joint_opinion_or_404(self, uuid: UUID) -> tuple[JointOpinion, list[dict]]:
        """A published version and the projects this user reads in it; 404 if it reads none."""
        joint_opinion = JointOpinion.objects.select_related("committee__call").filter(uuid=uuid).first()
        if joint_opinion is None:
            raise Http404("Avis conjoint introuvable.")
        projects = joint_opinion.content["projects"]
        numbers = self.joint_opinion_sections(joint_opinion.committee)
        if numbers is not None:
            projects = [p for p in projects if p["number"] in numbers]
            if not projects:
                raise Http404("Avis conjoint introuvable.")
        return joint_opinion, projects

    def can_talk_about(self, dossier: Dossier) -> bool:
        """The thread between the committee and the landlord: both sides write in it."""
        return self.carries(dossier) or self.can_act_on_opinion(dossier)

    def can_read_thread(self, dossier: Dossier) -> bool:
        """The thread and its attachments: its two sides, and the secretariat, which reads without writing."""
        return self.can_talk_about(dossier) or self.is_secretariat

    def can_follow(self, dossier: Dossier) -> bool:
        """The agreement, its payments and the reports still being written: the landlord's and the secretariat's."""
        return self.carries(dossier) or self.is_secretariat

    @property
    def follows_any(self) -> bool:
        """Whether can_follow may hold for some dossier: whether payments mean anything to this reader."""
        return self.is_secretariat or bool(self.landlord_ids)

    def followed(self) -> Q:
        """can_follow as a filter on dossiers, for the sums of payments."""
        if self.is_secretariat:
            return Q()
        return carried_by(self.landlord_ids) if self.landlord_ids else Q(pk__in=[])

    def can_read_decision(self, decision) -> bool:
        """A decision is read by everyone who sees the dossier once notified; until then, by those who decide it: the
        secretariat, and on a regional decision's call the committee's co-chairs not in conflict on the dossier."""
        return decision.notified_at is not None or self.decides(decision.dossier)

    def decides(self, dossier: Dossier) -> bool:
        """Whoever decides on the dossier, and so reads its decision before notification: the secretariat, and on a
        regional call the committee's co-chairs not in conflict on the dossier."""
        if self.reads_recorded_decisions:
            return True
        return (
            dossier.call.process == Call.Process.REGIONAL
            and self.can_act_on_opinion(dossier)
            and self.institution_in(dossier.committee) is not None
        )

    @property
    def reads_recorded_decisions(self) -> bool:
        """Decisions recorded and not yet notified, and their amounts: the secretariat's alone."""
        return self.is_secretariat

    def decisions(self, prefix: str = "") -> Q:
        """can_read_decision as a filter on decisions (or, with a prefix, on what relates to them), for sums and
        counts."""
        if self.reads_recorded_decisions:
            return Q()
        dossier = f"{prefix}dossier__"
        regional = Q(**{f"{dossier}call__process": Call.Process.REGIONAL})
        deciders = (
            regional & self.acts_on_opinions(dossier) & self.signs_for(dossier)
            if self.member_committee_ids
            else NOTHING
        )
        return Q(**{f"{prefix}notified_at__isnull": False}) | deciders

    def audit_events(self, dossier: Dossier) -> Q:
        """The audit trail of a dossier this user reads: the decision once notified, for whoever sees the dossier;
        its agreement, payments and report reviews for whoever follows it; decisions recorded and cleared for whoever
        decides (decides()); everything for the secretariat."""
        shown = Q(action="decision.notify")
        if self.can_follow(dossier):
            shown |= (
                Q(action__startswith="agreement.") | Q(action__startswith="tranche.") | Q(action__startswith="report.")
            )
        if self.reads_recorded_decisions:
            return Q()
        if self.decides(dossier):
            shown |= Q(action__startswith="decision.")
        return shown

    def reports(self, dossier: Dossier) -> Q:
        """A dossier's reports this user reads: a report being written belongs to its landlord until it is sent, as a
        draft dossier does (the secretariat follows them all)."""
        return Q() if self.can_follow(dossier) else SENT_REPORTS

    def reads_advisory_opinions(self, dossier: Dossier) -> bool:
        """The advisory members' opinions on the dossier, while the committee works: the secretariat, and the members
        of the co-chairing institutions not in conflict (an advisory member reads its own, as the form it gives it
        again with). Published only as the call says (Call.advisory_opinions_published), in the avis conjoint."""
        return self.is_secretariat or (
            self.can_act_on_opinion(dossier) and self.institution_in(dossier.committee) is not None
        )

    def can_read_opinion_draft(self, dossier: Dossier) -> bool:
        """The opinion as the committee works on it: the secretariat, and members not in conflict."""
        return self.is_secretariat or self.can_act_on_opinion(dossier)

    def reads_every_draft(self, committee_id: int) -> bool:
        """Whether the user reads every dossier of this committee as a draft: the secretariat, or a member whose
        organisations carry and partner none of them. Asked of the user's links, through their indexes: not one
        of the committee's dossiers is read."""
        if self.is_secretariat:
            return True
        if committee_id not in self.member_committee_ids:
            return False
        organisations = self.organisation_ids
        led = Dossier.objects.filter(committee_id=committee_id, lead_landlord_id__in=organisations).values("pk")
        linked = [
            link.objects.filter(organisation_id__in=organisations, dossier__committee_id=committee_id).values("dossier")
            for link in (Dossier.co_landlords.through, Dossier.partners.through)
        ]
        return not led.union(*linked).exists()

    def opinion_drafts(self) -> Q:
        """can_read_opinion_draft as a filter on dossiers, for lists and exports: no query of its own."""
        if self.is_secretariat:
            return Q(pk__isnull=False)
        return self.acts_on_opinions()

    def acts_on_opinions(self, prefix: str = "") -> Q:
        """can_act_on_opinion as a filter on dossiers (prefix: the path from the rows filtered to their dossier)."""
        members = Q(**{f"{prefix}committee_id__in": self.member_committee_ids})
        organisations = self.organisation_ids
        if not organisations:
            return members
        # in_conflict for many dossiers at once: the user's organisations carry or partner them.
        partnered = Dossier.partners.through.objects.filter(organisation_id__in=organisations).values("dossier_id")
        return members & ~(carried_by(organisations, prefix) | Q(**{f"{prefix}pk__in": partnered}))

    def signs_for(self, prefix: str = "") -> Q:
        """institution_in() is not None, as a filter on dossiers: the committees where this member represents one of
        the co-chairing institutions."""
        chaired = {m.committee_id for m in self._seated(Seat.Kind.CO_CHAIR)}
        return Q(**{f"{prefix}committee_id__in": chaired}) if chaired else NOTHING

    @property
    def reads_health(self) -> bool:
        """Which of the server's checks failed (/sante/, aap/health.py): the secretariat, and the support's superusers;
        anyone else learns only whether the server serves."""
        return self.is_secretariat or (self.user.is_active and self.user.is_staff and self.user.is_superuser)

    @property
    def reads_accounts(self) -> bool:
        """The secretariat reads every account; a landlord's staff, their colleagues'."""
        return self.is_secretariat or bool(self.landlord_ids)

    def accounts(self) -> QuerySet[User]:
        if self.is_secretariat:
            return User.objects.all()
        colleagues = Membership.objects.filter(
            organisation_id__in=self.landlord_ids, role=Membership.Role.LANDLORD_STAFF
        ).values("user_id")
        return User.objects.filter(pk__in=colleagues)

    def invitations(self) -> QuerySet[Invitation]:
        """The invitations to the accounts this user reads: the secretariat's all, a landlord's to its organisation."""
        if self.is_secretariat:
            return Invitation.objects.all()
        return Invitation.objects.filter(organisation_id__in=self.landlord_ids, role=Membership.Role.LANDLORD_STAFF)


# The reports that count, in dashboards and for whoever does not follow the dossier: those sent to the secretariat.
SENT_REPORTS = ~Q(state=Report.State.DRAFT)


# A condition no row meets: Django answers it without a query.
NOTHING = Q(pk__in=[])


def selects_nothing(condition: Q) -> bool:
    """Whether a filter selects no row whatever the data: a lookup `__in` an empty list in one term of an AND, or in
    every term of an OR. Django answers such a filter without a query, but only once it has built and compiled the
    rest of it, a few milliseconds for a list of the workspace: a caller that knows can skip the list."""
    if condition.negated:
        return False
    terms = [
        selects_nothing(term)
        if isinstance(term, Q)
        else term[0].endswith("__in") and isinstance(term[1], (list, tuple, set, frozenset)) and not term[1]
        for term in condition.children
    ]
    if condition.connector == Q.AND:
        return any(terms)
    return bool(terms) and all(terms)


def dossier_departments(dossier: Dossier) -> set[str]:
    """The departments a dossier covers: those of its territories (prefetched when a list reads many)."""
    return {territory.department for territory in dossier.territories.all()}


def carried_by(organisations: set[int], prefix: str = "") -> Q:
    """Dossiers led or co-carried by these organisations (prefix: the path from the rows filtered to their dossier).
    One condition, on the ids of a UNION of two index lookups (the dossiers they lead, the link table of
    co-landlords) rather than a join, which would read every dossier and repeat a dossier carried by two of them,
    or an OR of the two, which no index serves: PostgreSQL then walked every dossier of the programme for a
    landlord's workspace (150 ms for each of two lists at 100 000 dossiers, for the 164 its landlord carries)."""
    led = Dossier.objects.filter(lead_landlord_id__in=organisations).order_by().values("pk")
    co_carried = Dossier.co_landlords.through.objects.filter(organisation_id__in=organisations).values("dossier_id")
    return Q(**{f"{prefix}pk__in": led.union(co_carried)})
