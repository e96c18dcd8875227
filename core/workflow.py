"""The process, declared once: who may do what, and when.

Each lifecycle (dossier, departmental pre-instruction, opinion, decision, agreement, tranche, report, call, committee,
exchanges, advice) has its states, each in a phase, and its actions: the states it acts from, the state it leads to,
who may act (a policy of core/policies.py), the conditions beyond the state, and what it moves on the dossier. Named
groups of states are read off the phases (EDITABLE, DECIDABLE…), the dossier's allowed transitions off the actions'
moves.

Pages show the buttons of available_actions(); views and the API call guard() before acting; every write service
calls guard() again under its lock, with the user it is given as `by`. docs/architecture.md prints this table
(`manage.py workflow_table`), and tests/test_workflow.py checks that it agrees with this module.
"""

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import reduce

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core import departments, grants, policies, selection_rules
from core.formats import french_datetime
from core.models import (
    ArchiveImport,
    Call,
    Committee,
    Decision,
    DepartmentalOpinion,
    Dossier,
    ExpertRequest,
    Export,
    Invitation,
    OpinionSignature,
    PaymentTranche,
    Report,
    Territory,
)
from core.models.exports import KEPT_DAYS
from core.permissions import NOTHING, Access, dossier_departments, selects_nothing
from core.policies import as_filter
from core.regions import Region

State = Dossier.State


class ActionRefused(PermissionDenied):
    """An action that is not available to this user on this object now; the message says why, in French."""


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    policy: Callable[[Access, object], bool]
    sources: frozenset[str]
    target: str | None = None
    # Beyond the state: each returns why the action is not available (French), or None.
    conditions: tuple[Callable[[Access, object], str | None], ...] = ()
    # The dossier's states this action may change: (from these states, to this one).
    moves: tuple[tuple[frozenset[str], str], ...] = ()
    effects: str = ""
    lifecycle: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.lifecycle}.{self.name}"


@dataclass
class Lifecycle:
    name: str
    label: str
    kind: type
    # state -> (label, phase); phases in the order the process goes through them.
    states: dict[str, tuple[str, str]]
    phases: tuple[str, ...]
    state_of: Callable[[object], str]
    actions: list[Action] = field(default_factory=list)
    # state_of as a filter on the lifecycle's rows, for the lists of what awaits a user (where()); None for the
    # lifecycles those lists do not ask.
    rows: Callable[[str], Q] | None = None
    # The path from the lifecycle's rows to their dossier, for the policies' filters.
    to_dossier: str = ""

    def phase(self, state: str) -> str:
        return self.states[state][1]

    def label_of(self, state: str) -> str:
        return self.states[state][0]

    def in_phases(self, *phases: str) -> frozenset[str]:
        unknown = set(phases) - set(self.phases)
        assert not unknown, f"{self.name}: no phase {unknown}"
        return frozenset(state for state, (_, phase) in self.states.items() if phase in phases)

    def from_phase(self, first: str) -> frozenset[str]:
        """The states of this phase and of every later one."""
        return self.in_phases(*self.phases[self.phases.index(first) :])


# The dossier: its phases, in the order of the process. A withdrawn dossier leaves the process, so its phase is
# off the path.
DOSSIER = Lifecycle(
    "dossier",
    "Dossier",
    Dossier,
    {
        State.DRAFT: (State.DRAFT.label, "depot"),
        State.INCOMPLETE: (State.INCOMPLETE.label, "depot"),
        State.SUBMITTED: (State.SUBMITTED.label, "instruction"),
        State.IN_INSTRUCTION: (State.IN_INSTRUCTION.label, "instruction"),
        State.OPINION_SIGNED: (State.OPINION_SIGNED.label, "selection"),
        State.DEFERRED: (State.DEFERRED.label, "selection"),
        State.RETAINED: (State.RETAINED.label, "decision"),
        State.NOT_RETAINED: (State.NOT_RETAINED.label, "decision"),
        State.UNDER_AGREEMENT: (State.UNDER_AGREEMENT.label, "suivi"),
        State.REPORTING: (State.REPORTING.label, "suivi"),
        State.CLOSED: (State.CLOSED.label, "fin"),
        State.WITHDRAWN: (State.WITHDRAWN.label, "retrait"),
    },
    ("depot", "instruction", "selection", "decision", "suivi", "fin", "retrait"),
    lambda dossier: dossier.state,
    rows=lambda state: Q(state=state),
)
# The landlord writes its dossier.
EDITABLE = DOSSIER.in_phases("depot")
# The committee instructs: it may return the dossier as incomplete.
IN_INSTRUCTION = DOSSIER.in_phases("instruction")
# The committee's opinion is open until a decision is taken on it.
OPINION_OPEN = DOSSIER.in_phases("instruction", "selection")
# The national level decides.
DECIDABLE = DOSSIER.in_phases("selection")
# What the national selection lists: from the signed opinion on, withdrawn dossiers apart.
SELECTED = DOSSIER.from_phase("selection") - DOSSIER.in_phases("retrait")
# The landlord reports; and the dossiers that have reports, being written or done.
REPORTING = DOSSIER.in_phases("suivi")
WITH_REPORTS = DOSSIER.from_phase("suivi") - DOSSIER.in_phases("retrait")
# What the committee received and the avis conjoint speaks of: every dossier once submitted, but those withdrawn
# (an incomplete one was submitted once).
RECEIVED = frozenset(DOSSIER.states) - {State.DRAFT} - DOSSIER.in_phases("retrait")
# Before any decision: a dossier may still leave the process.
BEFORE_DECISION = DOSSIER.in_phases("depot", "instruction", "selection")


def _decision(dossier: Dossier) -> Decision | None:
    return getattr(dossier, "decision", None) if dossier.pk else None


@as_filter(lambda access: Q(decision__isnull=True) | Q(decision__notified_at__isnull=False))
def not_frozen(access: Access, dossier: Dossier) -> str | None:
    decision = _decision(dossier)
    if decision is not None and decision.notified_at is None:
        call = dossier.call
        return (
            f"Une {call.decision_name} est enregistrée sur ce dossier et attend sa notification : le dossier et son "
            f"avis sont figés jusqu'à ce que {call.decider_name} la notifie ou l'efface."
        )
    return None


@as_filter(lambda access: Q(decision__isnull=True) | Q(decision__notified_at__isnull=True))
def undecided(access: Access, dossier: Dossier) -> str | None:
    decision = _decision(dossier)
    if decision is not None and decision.notified_at is not None:
        return f"La {dossier.call.decision_name} a été notifiée : l'avis du comité ne peut plus être modifié."
    return None


@as_filter(lambda access: Q(opinion__isnull=False) & ~Q(opinion__verdict=""))
def verdict_given(access: Access, dossier: Dossier) -> str | None:
    opinion = getattr(dossier, "opinion", None)
    if opinion is None or not opinion.verdict:
        return "L'avis doit avoir un sens (favorable, réservé ou défavorable) avant d'être signé."
    return None


def missing_departments(dossier: Dossier) -> list[str]:
    """The departments of the dossier whose service has not given its opinion (uses the prefetched relations)."""
    given = {opinion.department for opinion in dossier.departmental_opinions.all()}
    return sorted(dossier_departments(dossier) - given)


def _awaiting_departments() -> Q:
    """departmental_opinions_given's refusal as a filter: a department of the dossier has no opinion yet, on a call
    that asks for them."""
    given = DepartmentalOpinion.objects.filter(dossier=OuterRef("dossier_id"), department=OuterRef("department"))
    missing = Territory.objects.filter(~Exists(given)).values("dossier_id")
    return Q(call__departmental_preinstruction=True, pk__in=missing)


@as_filter(lambda access: ~_awaiting_departments())
def departmental_opinions_given(access: Access, dossier: Dossier) -> str | None:
    if not dossier.call.departmental_preinstruction:
        return None
    missing = missing_departments(dossier)
    if missing:
        names = ", ".join(departments.label(code) for code in missing)
        return (
            f"L'avis départemental manque encore pour : {names}. Le comité signe son avis une fois reçus ceux de "
            "tous les départements du dossier."
        )
    return None


def signed_institutions(dossier: Dossier) -> set[int]:
    """The institutions that signed the dossier's opinion, from the prefetched signatures when there are some."""
    opinion = getattr(dossier, "opinion", None)
    if opinion is None:
        return set()
    return {signature.institution_id for signature in opinion.signatures.all()}


def _signed_by_own_institution(access: Access) -> Q:
    """not_yet_signed's refusal as a filter: the member's institution in the dossier's committee signed it. The
    signatures looked up are the committee's: an institution co-chairs its region's committee year after year, and
    all it ever signed (21 368 opinions at 100 000 dossiers) made a member's workspace read every opinion (130 ms).
    One lookup per institution, over the committees the member sits in for it: one per committee made the filter of
    a member of three committees a third of the workspace's time to compile."""
    committees: dict[int, list[int]] = {}
    for m in access.memberships:
        if m.role == m.Role.COMMITTEE_MEMBER:
            committees.setdefault(m.organisation_id, []).append(m.committee_id)
    signed = [
        Q(committee_id__in=ids)
        & Q(pk__in=OpinionSignature.objects.filter(
            institution_id=institution, opinion__dossier__committee_id__in=ids
        ).values("opinion__dossier_id"))
        for institution, ids in sorted(committees.items())
    ]  # fmt: skip
    return access.signs_for() & reduce(operator.or_, signed) if signed else NOTHING


@as_filter(lambda access: ~_signed_by_own_institution(access))
def not_yet_signed(access: Access, dossier: Dossier) -> str | None:
    institution = access.institution_in(dossier.committee)
    if institution is not None and institution.pk in signed_institutions(dossier):
        return f"{institution} a déjà signé cet avis."
    return None


@as_filter(lambda access: Q(state__in=DECIDABLE))
def decidable(access: Access, dossier: Dossier) -> str | None:
    if dossier.state not in DECIDABLE:
        return f"Un dossier « {dossier.get_state_display()} » ne peut pas recevoir de décision."
    return None


@as_filter(lambda access: Q(state=State.RETAINED))
def retained(access: Access, dossier: Dossier) -> str | None:
    if dossier.state != State.RETAINED:
        return f"Un dossier « {dossier.get_state_display()} » ne peut pas être conventionné."
    return None


@as_filter(lambda access: Q(dossier__state__in=REPORTING))
def reporting(access: Access, report: Report) -> str | None:
    dossier = report.dossier
    if dossier.state not in REPORTING:
        return f"Un dossier « {dossier.get_state_display()} » n'a pas de bilan à remettre."
    return None


def has_committees(access: Access, call: Call) -> str | None:
    if call.status == Call.Status.DRAFT and not (call.pk and call.committees.exists()):
        return "Créez au moins un comité régional avant d'ouvrir l'appel."
    return None


def decisions_to_notify(access: Access, call: Call) -> str | None:
    if not (call.pk and Decision.objects.filter(dossier__call=call, notified_at__isnull=True).exists()):
        return "Aucune décision à notifier."
    return None


def selection_rules_hold(access: Access, call: Call) -> str | None:
    # The call's blocking rules, over the dossiers its decisions retain (core/selection_rules.py); warnings pass.
    return selection_rules.refusal(call) if call.pk else None


def committee_rules_hold(access: Access, committee: Committee) -> str | None:
    # On a regional decision, the call's blocking rules over this committee's retained dossiers alone.
    return selection_rules.refusal(committee.call, committee) if committee.pk else None


def national_process(access: Access, call: Call) -> str | None:
    if call.process != Call.Process.NATIONAL:
        return (
            "Sur un appel à décision régionale, chaque comité régional décide de ses dossiers et notifie ses "
            "décisions : le secrétariat national consolide et suit."
        )
    return None


def regional_process(access: Access, committee: Committee) -> str | None:
    if committee.call.process != Call.Process.REGIONAL:
        return (
            "Sur un appel à sélection nationale, le secrétariat national décide et notifie les décisions de tous les "
            "comités."
        )
    return None


def committee_decisions_to_notify(access: Access, committee: Committee) -> str | None:
    if not Decision.objects.filter(dossier__committee=committee, notified_at__isnull=True).exists():
        return "Aucune décision à notifier."
    return None


def grants_to_publish(access: Access, call: Call) -> str | None:
    if not (call.pk and grants.to_publish(call).exists()):
        return "Aucune subvention conventionnée à publier : chaque convention signée l'est déjà."
    return None


def call_open(access: Access, committee: Committee) -> str | None:
    if committee.call.status != Call.Status.OPEN:
        return f"L'appel « {committee.call} » n'est pas ouvert aux dépôts."
    return None


@as_filter(lambda access: ~Q(state=State.DRAFT))
def submitted(access: Access, dossier: Dossier) -> str | None:
    # A draft is its landlord's alone (Access.sees): the committee has no thread to read until it is submitted.
    if dossier.state == State.DRAFT:
        return "Un brouillon n'est lu que de son bailleur : les échanges avec le comité s'ouvrent à son dépôt."
    return None


@as_filter(lambda access: Q(answered_at__isnull=True))
def unanswered(access: Access, request: ExpertRequest) -> str | None:
    return "Vous avez déjà rendu votre avis sur ce dossier." if request.answered_at else None


DOSSIER.actions = [
    Action("edit", "Modifier le brouillon", policies.carrier_staff, EDITABLE),
    Action(
        "attach",
        "Joindre une pièce",
        policies.carrier_staff,
        EDITABLE,
        effects="As one of the documents the call asks, or another; a file the dossier holds is refused (SHA-256).",
    ),
    Action(
        "replace_attachment",
        "Remplacer la pièce",
        policies.carrier_staff,
        EDITABLE,
        effects="By another file, of the same type; the old file leaves the storage once the change is saved.",
    ),
    Action(
        "delete_attachment",
        "Supprimer la pièce",
        policies.carrier_staff,
        EDITABLE,
        effects="Its file leaves the storage once the change is saved.",
    ),
    Action(
        "submit",
        "Déposer le dossier",
        policies.carrier_staff,
        EDITABLE,
        State.SUBMITTED,
        moves=((EDITABLE, State.SUBMITTED),),
        effects="Only when complete and the call open; e-mails the committee's members.",
    ),
    Action(
        "withdraw",
        "Retirer le dossier",
        policies.lead_landlord_staff,
        BEFORE_DECISION,
        State.WITHDRAWN,
        conditions=(not_frozen,),
        moves=((BEFORE_DECISION, State.WITHDRAWN),),
    ),
    Action(
        "return",
        "Renvoyer comme incomplet",
        policies.signatory,
        IN_INSTRUCTION,
        State.INCOMPLETE,
        moves=((IN_INSTRUCTION, State.INCOMPLETE),),
        effects="With a message; e-mails the carrying landlords' staff. Clears the opinion's signatures.",
    ),
]


@as_filter(lambda access: Q(call__departmental_preinstruction=True))
def preinstruction_required(access: Access, dossier: Dossier) -> str | None:
    if not dossier.call.departmental_preinstruction:
        return (
            f"L'appel « {dossier.call} » ne prévoit pas de pré-instruction départementale : le comité régional "
            "instruit seul ses dossiers."
        )
    return None


@as_filter(lambda access: Q(state__in=IN_INSTRUCTION))
def in_instruction(access: Access, dossier: Dossier) -> str | None:
    if dossier.state not in IN_INSTRUCTION:
        return (
            f"Ce dossier est « {dossier.get_state_display()} » : l'avis départemental se donne, et se modifie, entre "
            "son dépôt et la signature de l'avis du comité régional."
        )
    return None


# The departmental pre-instruction: on a call that asks for it, each department's State service gives its opinion on
# the dossiers that cover it, before the committee signs its own (opinion.sign: departmental_opinions_given).
DEPARTMENTAL = Lifecycle(
    "departmental",
    "Pré-instruction départementale",
    Dossier,
    {"": ("Ouverte", "preinstruction")},
    ("preinstruction",),
    lambda dossier: "",
    rows=lambda state: Q(),
)
DEPARTMENTAL.actions = [
    Action(
        "give",
        "Donner l'avis départemental",
        policies.departmental_instructor,
        frozenset({""}),
        conditions=(preinstruction_required, in_instruction),
        effects="For each of the dossier's departments the instructor's service covers, with reasons unless "
        "favourable; changed until the committee's opinion is signed, which waits for every department's. A change "
        "clears the signatures already given and tells their institutions.",
    )
]

OPINION = Lifecycle(
    "opinion",
    "Avis du comité",
    Dossier,
    {"a_rediger": ("À rédiger", "redaction"), "redige": ("Rédigé", "redaction"), "signe": ("Signé", "signature")},
    ("redaction", "signature"),
    lambda dossier: (
        "a_rediger"
        if getattr(dossier, "opinion", None) is None
        else "signe"
        if dossier.state == State.OPINION_SIGNED
        else "redige"
    ),
    rows=lambda state: {
        "a_rediger": Q(opinion__isnull=True),
        "redige": Q(opinion__isnull=False) & ~Q(state=State.OPINION_SIGNED),
        "signe": Q(opinion__isnull=False, state=State.OPINION_SIGNED),
    }[state],
)


@as_filter(lambda access: Q(state__in=OPINION_OPEN))
def opinion_open(access: Access, dossier: Dossier) -> str | None:
    if dossier.state not in OPINION_OPEN:
        return f"Le comité n'instruit plus ce dossier : il est « {dossier.get_state_display()} »."
    return None


# While the committee instructs: its opinion, its notes, its questions to experts.
OPINION_CONDITIONS = (opinion_open, not_frozen, undecided)
OPINION.actions = [
    Action(
        "write",
        "Enregistrer l'avis",
        policies.signatory,
        frozenset(OPINION.states),
        "redige",
        conditions=OPINION_CONDITIONS,
        moves=((frozenset({State.SUBMITTED, State.OPINION_SIGNED}), State.IN_INSTRUCTION),),
        effects="A change clears the signatures: what was signed is no longer what is written.",
    ),
    Action(
        "sign",
        "Signer l'avis",
        policies.signatory,
        OPINION.in_phases("redaction"),
        "signe",
        conditions=(*OPINION_CONDITIONS, verdict_given, not_yet_signed, departmental_opinions_given),
        moves=((IN_INSTRUCTION, State.OPINION_SIGNED),),
        effects="For the signer's institution; signed by every co-chairing institution, the opinion is final.",
    ),
]


# The dossier's state once its decision is notified, by outcome.
OUTCOME_STATES = {
    Decision.Outcome.RETAINED: State.RETAINED,
    Decision.Outcome.NOT_RETAINED: State.NOT_RETAINED,
    Decision.Outcome.DEFERRED: State.DEFERRED,
}


def _decision_state(dossier: Dossier) -> str:
    decision = _decision(dossier)
    # A deferred dossier comes back for a new decision.
    if decision is None or (decision.notified_at and decision.outcome == Decision.Outcome.DEFERRED):
        return "a_decider"
    return "enregistree" if decision.notified_at is None else "notifiee"


DECISION = Lifecycle(
    "decision",
    "Décision",
    Dossier,
    {
        "a_decider": ("À décider", "decision"),
        "enregistree": ("Enregistrée, à notifier", "decision"),
        "notifiee": ("Notifiée", "notification"),
    },
    ("decision", "notification"),
    _decision_state,
    rows=lambda state: {
        "a_decider": Q(decision__isnull=True)
        | Q(decision__notified_at__isnull=False, decision__outcome=Decision.Outcome.DEFERRED),
        "enregistree": Q(decision__isnull=False, decision__notified_at__isnull=True),
        "notifiee": Q(decision__notified_at__isnull=False) & ~Q(decision__outcome=Decision.Outcome.DEFERRED),
    }[state],
)
DECISION.actions = [
    Action(
        "record",
        "Enregistrer la décision",
        policies.decider,
        DECISION.in_phases("decision"),
        "enregistree",
        conditions=(decidable,),
        effects="Freezes the dossier and its opinion until notified or cleared; its history is kept.",
    ),
    Action("clear", "Effacer la décision", policies.decider, frozenset({"enregistree"}), "a_decider"),
    Action(
        "notify",
        "Notifier la décision",
        policies.decider,
        frozenset({"enregistree"}),
        "notifiee",
        conditions=(decidable,),
        # A deferred dossier deferred again keeps its state.
        moves=tuple((DECIDABLE - {state}, state) for state in OUTCOME_STATES.values()),
        effects="Dossier by dossier: one that fails blocks no other. E-mails the carrying landlords' staff.",
    ),
]

AGREEMENT = Lifecycle(
    "agreement",
    "Convention",
    Dossier,
    {"sans": ("Sans convention", "convention"), "signee": ("Signée", "versements")},
    ("convention", "versements"),
    lambda dossier: "signee" if getattr(dossier, "agreement", None) is not None else "sans",
    rows=lambda state: Q(agreement__isnull=state == "sans"),
)
AGREEMENT.actions = [
    Action(
        "create",
        "Établir la convention",
        policies.decider,
        frozenset({"sans"}),
        "signee",
        conditions=(retained,),
        moves=((frozenset({State.RETAINED}), State.UNDER_AGREEMENT),),
        effects="Its tranches add up to its amount, which does not exceed the amount granted.",
    )
]

TRANCHE = Lifecycle(
    "tranche",
    "Tranche de versement",
    PaymentTranche,
    {"a_verser": ("À verser", "versement"), "versee": ("Versée", "fin")},
    ("versement", "fin"),
    lambda tranche: "versee" if tranche.paid_on else "a_verser",
    rows=lambda state: Q(paid_on__isnull=state == "a_verser"),
    to_dossier="agreement__dossier__",
)
TRANCHE.actions = [Action("pay", "Enregistrer le versement", policies.secretariat, frozenset({"a_verser"}), "versee")]

REPORT = Lifecycle(
    "report",
    "Bilan",
    Report,
    {
        "a_remettre": ("À remettre", "redaction"),
        Report.State.DRAFT: (Report.State.DRAFT.label, "redaction"),
        Report.State.RETURNED: (Report.State.RETURNED.label, "redaction"),
        Report.State.SUBMITTED: (Report.State.SUBMITTED.label, "examen"),
        Report.State.VALIDATED: (Report.State.VALIDATED.label, "fin"),
    },
    ("redaction", "examen", "fin"),
    lambda report: report.state if report.pk else "a_remettre",
    # A report still to write has no row.
    rows=lambda state: NOTHING if state == "a_remettre" else Q(state=state),
    to_dossier="dossier__",
)
REPORT_WRITABLE = REPORT.in_phases("redaction")
REPORT.actions = [
    Action(
        "save",
        "Enregistrer le bilan",
        policies.carrier_staff,
        REPORT_WRITABLE,
        Report.State.DRAFT,
        conditions=(reporting,),
    ),
    Action(
        "submit",
        "Transmettre le bilan",
        policies.carrier_staff,
        REPORT_WRITABLE,
        Report.State.SUBMITTED,
        conditions=(reporting,),
        moves=((frozenset({State.UNDER_AGREEMENT}), State.REPORTING),),
        effects="The first report sent puts the dossier in follow-up.",
    ),
    Action("validate", "Valider le bilan", policies.secretariat, REPORT.in_phases("examen"), Report.State.VALIDATED,
           moves=((frozenset({State.REPORTING}), State.CLOSED),),
           effects="The final evaluation, validated, closes the dossier."),
    Action("return", "Renvoyer le bilan", policies.secretariat, REPORT.in_phases("examen"), Report.State.RETURNED,
           effects="With a message to the landlord."),
]  # fmt: skip

CALL = Lifecycle(
    "call",
    "Appel à projets",
    Call,
    {status: (status.label, status.value) for status in Call.Status},
    tuple(Call.Status.values),
    lambda call: call.status,
)
CALL.actions = [
    Action("open", "Ouvrir aux dépôts", policies.secretariat, frozenset({Call.Status.DRAFT}), Call.Status.OPEN,
           conditions=(has_committees,)),
    Action("close", "Clore les dépôts", policies.secretariat, frozenset({Call.Status.OPEN}), Call.Status.CLOSED),
    Action("decide", "Arrêter la sélection", policies.secretariat, frozenset({Call.Status.CLOSED}),
           Call.Status.DECIDED),
    Action("archive", "Archiver", policies.secretariat, frozenset({Call.Status.DECIDED}), Call.Status.ARCHIVED),
    Action("create", "Nouvel appel", policies.secretariat, frozenset({Call.Status.DRAFT}),
           effects="A new call is in preparation."),
    Action("edit", "Modifier l'appel", policies.secretariat, frozenset(Call.Status.values)),
    Action("notify_decisions", "Notifier les décisions enregistrées", policies.secretariat,
           frozenset(Call.Status.values), conditions=(national_process, decisions_to_notify, selection_rules_hold),
           effects="decision.notify on each dossier whose decision is recorded; reports those that fail. Refused "
                   "while a rule the call makes blocking does not hold (Hlm share, fund share, cap, envelope)."),
    Action("publish_grants", "Publier les subventions", policies.secretariat, frozenset(Call.Status.values),
           conditions=(grants_to_publish,),
           effects="Each signed agreement not yet published enters the call's open data (SCDL « Subventions » "
                   "2.1.1), public; one that lacks a SIRET is reported and blocks no other."),
    Action("add_committee", "Ajouter un comité régional", policies.secretariat, frozenset(Call.Status.values)),
    Action("decide_many", "Décisions groupées", policies.secretariat, frozenset(Call.Status.values),
           conditions=(national_process,),
           effects="decision.record on each chosen dossier, in one transaction: one refused, none recorded."),
    Action("export", "Exporter les dossiers de l'appel", policies.national_reader, frozenset(Call.Status.values),
           effects="Queues the export of the call's dossiers, as the user reads them (export lifecycle)."),
]  # fmt: skip

COMMITTEE = Lifecycle(
    "committee", "Comité régional", Committee, {"": ("Constitué", "comite")}, ("comite",), lambda committee: ""
)
COMMITTEE.actions = [
    Action(
        "create_dossier",
        "Nouveau dossier",
        policies.landlord_staff,
        frozenset({""}),
        conditions=(call_open,),
        moves=((frozenset({""}), State.DRAFT),),
        effects="A draft for one of the user's organisations, numbered after the committee's last dossier.",
    ),
    Action(
        "publish",
        "Publier l'avis conjoint",
        policies.committee_chairs,
        frozenset({""}),
        effects="Freezes the opinions as a new version with its SHA-256; e-mails members and carrying landlords.",
    ),
    Action(
        "notify_decisions",
        "Notifier les décisions du comité",
        policies.committee_chairs,
        frozenset({""}),
        conditions=(regional_process, committee_decisions_to_notify, committee_rules_hold),
        effects="On a regional decision's call: decision.notify on each of the committee's dossiers whose decision "
        "is recorded; reports those that fail, such as those the member is in conflict on. Refused while a rule the "
        "call makes blocking does not hold over the committee's retained dossiers.",
    ),
    Action(
        "add_member",
        "Ajouter un membre",
        policies.secretariat,
        frozenset({""}),
        effects="For one of its seats, co-chair or advisory; never a user of the secretariat.",
    ),
    Action(
        "export",
        "Exporter les dossiers",
        policies.committee_reader,
        frozenset({""}),
        effects="Queues the export of the committee's dossiers, as the user reads them (export lifecycle).",
    ),
]

EXCHANGES = Lifecycle("exchanges", "Échanges", Dossier, {"": ("Ouverts", "echanges")}, ("echanges",), lambda d: "")
EXCHANGES.actions = [
    Action("message", "Envoyer un message", policies.thread_side, frozenset({""}), conditions=(submitted,),
           effects="E-mails the other side: the carrying landlords' staff, or the members not in conflict."),
    Action("note", "Ajouter une note", policies.committee_member, frozenset({""}), conditions=OPINION_CONDITIONS),
    Action("ask_expert", "Demander un avis d'expert", policies.committee_member, frozenset({""}),
           conditions=OPINION_CONDITIONS, effects="E-mails the expert."),
]  # fmt: skip


@as_filter(lambda access: Q(state__in=IN_INSTRUCTION))
def instructed(access: Access, dossier: Dossier) -> str | None:
    if dossier.state not in IN_INSTRUCTION:
        state = dossier.get_state_display()
        return f"Les avis consultatifs se donnent pendant l'instruction : le dossier est « {state} »."
    return None


ADVISORY = Lifecycle(
    "advisory", "Avis consultatif", Dossier, {"": ("Ouvert", "consultation")}, ("consultation",), lambda d: ""
)
ADVISORY.actions = [
    Action("give", "Donner l'avis consultatif", policies.advisory_member, frozenset({""}), conditions=(instructed,),
           effects="Once per advisory member, given again until the opinion is signed; read by the co-chairs, "
           "printed in the avis conjoint only if the call says so."),
]  # fmt: skip

ADVICE = Lifecycle(
    "advice",
    "Avis d'expert",
    ExpertRequest,
    {"demande": ("Demandé", "demande"), "rendu": ("Rendu", "rendu")},
    ("demande", "rendu"),
    lambda request: "rendu" if request.answered_at else "demande",
    rows=lambda state: Q(answered_at__isnull=state == "demande"),
    to_dossier="dossier__",
)
ADVICE.actions = [
    Action("give", "Rendre l'avis", policies.asked_expert, frozenset({"demande"}), "rendu", conditions=(unanswered,),
           effects="E-mails the committee's members not in conflict."),
]  # fmt: skip

INVITATION = Lifecycle(
    "invitation",
    "Invitation",
    Invitation,
    {"a_envoyer": ("À envoyer", "envoi"), "envoyee": ("Envoyée", "envoi"), "acceptee": ("Acceptée", "fin")},
    ("envoi", "fin"),
    lambda invitation: "a_envoyer" if invitation.pk is None else "acceptee" if invitation.accepted_at else "envoyee",
)


def not_expired(access: Access, invitation: Invitation) -> str | None:
    if invitation.expires_at <= timezone.now():
        return (
            f"Cette invitation a expiré le {french_datetime(invitation.expires_at)} : demandez à la personne qui "
            "vous a invité de vous en envoyer une nouvelle."
        )
    return None


def by_its_account(access: Access, invitation: Invitation) -> str | None:
    """An address that already has an account is invited to add a role to it: that account accepts, logged in. The
    link alone gives its role to no one else, and creates no second account."""
    account = invitation.account()
    if account is None or account.pk == access.user.pk:
        return None
    if not account.is_active:
        return (
            f"Le compte de l'adresse {invitation.email} est désactivé : demandez au secrétariat national de le "
            "réactiver, puis acceptez l'invitation en vous connectant."
        )
    if not access.user.is_authenticated:
        return (
            f"L'adresse {invitation.email} a déjà un compte aap : connectez-vous avec ce compte pour accepter "
            "l'invitation, qui y ajoutera son rôle."
        )
    return (
        f"Vous êtes connecté avec le compte {access.user.username}, mais cette invitation est adressée à "
        f"{invitation.email} : déconnectez-vous, puis connectez-vous avec le compte de cette adresse pour l'accepter."
    )


INVITATION.actions = [
    Action("send", "Inviter", policies.inviter, frozenset({"a_envoyer"}), "envoyee",
           effects="E-mails a link valid 7 days, for one use: the invitee sets their password, or logs in if the "
                   "address has an account."),
    Action("accept", "Accepter l'invitation", policies.invitee, frozenset({"envoyee"}), "acceptee",
           conditions=(not_expired, by_its_account),
           effects="Creates the account with the invitation's membership, or adds the membership to the account "
                   "the address has, which accepts logged in."),
]  # fmt: skip

ACCOUNT = Lifecycle(
    "account",
    "Compte",
    User,
    {"actif": ("Actif", "actif"), "inactif": ("Désactivé", "inactif")},
    ("actif", "inactif"),
    lambda user: "actif" if user.is_active else "inactif",
)


def not_self(access: Access, user: User) -> str | None:
    return "Vous ne pouvez pas désactiver votre propre compte." if user.pk == access.user.pk else None


ACCOUNT.actions = [
    Action("deactivate", "Désactiver le compte", policies.secretariat, frozenset({"actif"}), "inactif",
           conditions=(not_self,), effects="Its sessions end and its API tokens are revoked; its memberships stay."),
    Action("reactivate", "Réactiver le compte", policies.secretariat, frozenset({"inactif"}), "actif"),
    Action("proconnect", "Se connecter avec ProConnect", policies.public_agent, frozenset({"actif"}),
           effects="Matches the agent to the account with their e-mail; never gives a role."),
]  # fmt: skip

EXPORT = Lifecycle(
    "export",
    "Export",
    Export,
    {
        Export.State.QUEUED: ("En attente", "ecriture"),
        Export.State.RUNNING: ("En cours", "ecriture"),
        Export.State.READY: ("Prêt", "fin"),
        Export.State.FAILED: ("Échec", "fin"),
    },
    ("ecriture", "fin"),
    lambda export: export.state,
)


def kept(access: Access, export: Export) -> str | None:
    if export.requested_at < timezone.now() - timedelta(days=KEPT_DAYS):
        return f"Cet export n'est plus disponible : un export est gardé {KEPT_DAYS} jours. Demandez-en un nouveau."
    return None


EXPORT.actions = [
    Action("download", "Télécharger l'export", policies.requester, frozenset({Export.State.READY}),
           conditions=(kept,), effects="Served from the storage; deleted with its file after KEPT_DAYS (7)."),
]  # fmt: skip

Imported = ArchiveImport.State
IMPORT = Lifecycle(
    "import",
    "Import d'avis conjoint",
    ArchiveImport,
    {
        "nouveau": ("Nouveau", "depot"),
        Imported.PARSING: (Imported.PARSING.label, "lecture"),
        Imported.READY: (Imported.READY.label, "revue"),
        Imported.CONFIRMED: (Imported.CONFIRMED.label, "fin"),
        Imported.REFUSED: (Imported.REFUSED.label, "fin"),
        Imported.CANCELLED: (Imported.CANCELLED.label, "fin"),
    },
    ("depot", "lecture", "revue", "fin"),
    lambda archive: archive.state if archive.pk else "nouveau",
    rows=lambda state: NOTHING if state == "nouveau" else Q(state=state),
)


def own_region(access: Access, archive: ArchiveImport) -> str | None:
    """A committee's member writes the avis conjoints of their own region; the secretariat, any region's."""
    if access.is_secretariat:
        return None
    if not archive.region:
        return (
            "La région de cet avis conjoint n'est pas reconnue : corrigez le nom de la région, ou demandez au "
            "secrétariat national de l'importer."
        )
    if archive.region not in access.import_regions:
        theirs = ", ".join(sorted(Region(code).label for code in access.import_regions))
        return (
            f"Cet avis conjoint est celui de la région {Region(archive.region).label} : vous n'importez que ceux de "
            f"votre région ({theirs})."
        )
    return None


@as_filter(lambda access: ~Q(file=""))
def file_kept(access: Access, archive: ArchiveImport) -> str | None:
    if not archive.file:
        return "Le fichier de cet import n'est plus conservé : il est supprimé quand l'import est annulé ou abandonné."
    return None


IMPORT.actions = [
    Action("upload", "Importer un avis conjoint", policies.importer, frozenset({"nouveau"}), Imported.PARSING,
           effects="A TXT, DOCX, ODT or PDF file, kept with its SHA-256; a task reads it (OCR for scans) and its "
           "progress is shown. Nothing else is written."),
    Action("correct", "Enregistrer les corrections", policies.importer, frozenset({Imported.READY}),
           effects="The doubtful fields corrected, the landlords linked to organisations; nothing else is written."),
    Action("confirm", "Confirmer l'import", policies.importer, frozenset({Imported.READY}), Imported.CONFIRMED,
           conditions=(own_region,),
           effects="Writes call, committee, landlords, dossiers, opinions and the published version in one "
           "transaction (joint_opinion_import); records who, when, the file's SHA-256 and what changed."),
    Action("cancel", "Annuler l'import", policies.importer, frozenset({Imported.PARSING, Imported.READY}),
           Imported.CANCELLED, effects="Nothing is written; the file leaves the storage."),
    Action("download", "Télécharger le fichier déposé", policies.archive_reader,
           frozenset({Imported.PARSING, Imported.READY, Imported.CONFIRMED, Imported.REFUSED}), conditions=(file_kept,),
           effects="The file as uploaded, from the storage. A confirmed import's is kept with its committee; a "
           "refused or abandoned one's is deleted after KEPT_DAYS (7), a cancelled one's at once."),
]  # fmt: skip

LIFECYCLES = [
    DOSSIER, DEPARTMENTAL, OPINION, DECISION, AGREEMENT, TRANCHE, REPORT, CALL, COMMITTEE, EXCHANGES, ADVISORY, ADVICE,
    INVITATION, ACCOUNT, EXPORT, IMPORT,
]  # fmt: skip
ACTIONS: dict[str, Action] = {}
for _lifecycle in LIFECYCLES:
    for _index, _action in enumerate(_lifecycle.actions):
        _lifecycle.actions[_index] = _action = Action(**{**_action.__dict__, "lifecycle": _lifecycle.name})
        ACTIONS[_action.qualified] = _action
LIFECYCLE = {lifecycle.name: lifecycle for lifecycle in LIFECYCLES}
# The call's moves forward, one step at a time.
CALL_STEPS = {next(iter(a.sources)): a for a in CALL.actions if a.target is not None}

# The dossier's allowed transitions: every move of every action.
TRANSITIONS: dict[str, set[str]] = {}
for _action in ACTIONS.values():
    for _sources, _target in _action.moves:
        for _source in _sources:
            TRANSITIONS.setdefault(_source, set()).add(_target)


def refusal(access: Access, name: str, obj) -> str | None:
    """Why this user may not take this action on this object now (French), or None when it may."""
    action = ACTIONS[name]
    lifecycle = LIFECYCLE[action.lifecycle]
    if not action.policy(access, obj):
        return f"« {action.label} » : {action.policy.who}."
    state = lifecycle.state_of(obj)
    if state not in action.sources:
        return f"« {action.label} » n'est pas possible : {lifecycle.label} « {lifecycle.label_of(state)} »."
    for condition in action.conditions:
        reason = condition(access, obj)
        if reason:
            return reason
    return None


def where(access: Access, name: str) -> Q:
    """allows() for every row of the action's lifecycle at once, as a filter on them: its policy, its states and its
    conditions, each asked in its filter form. For the lists of what awaits a user; tests/test_workspace.py checks
    that it selects the rows allows() lets act on, for every role."""
    action = ACTIONS[name]
    lifecycle = LIFECYCLE[action.lifecycle]
    condition = action.policy.where(access, lifecycle.to_dossier)
    if selects_nothing(condition):
        # Not this user's action anywhere: the conditions' subqueries need not be built.
        return NOTHING
    condition &= reduce(operator.or_, (lifecycle.rows(state) for state in sorted(action.sources)))
    for rule in action.conditions:
        condition &= rule.where(access)
    return condition


def takes(access: Access, name: str, obj) -> bool:
    """Whether the action on this object is this user's to take, available now or not: what a page shows of it."""
    return ACTIONS[name].policy(access, obj)


def blocked(access: Access, name: str, obj) -> str | None:
    """Why an action this user's role takes is not available on this object now (French), for the page to say; None
    when it is available, or when it is not this user's to take."""
    if not takes(access, name, obj):
        return None
    return refusal(access, name, obj)


def allows(access: Access, name: str, obj) -> bool:
    return refusal(access, name, obj) is None


def guard(access: Access, name: str, obj) -> None:
    """Refuses (403, with the reason) an action that is not available to this user on this object now."""
    reason = refusal(access, name, obj)
    if reason is not None:
        raise ActionRefused(reason)


def permits(access: Access, name: str) -> bool:
    """For a page that chooses its object later (a new dossier's committee): only whether this user's role may take
    the action; the service checks the rest once the object is chosen."""
    return ACTIONS[name].policy(access, None)


def guard_who(access: Access, name: str) -> None:
    """permits(), or a 403 with the reason."""
    if not permits(access, name):
        action = ACTIONS[name]
        raise ActionRefused(f"« {action.label} » : {action.policy.who}.")


def check(by, name: str, obj) -> None:
    """guard() for a service, given the user who acts."""
    guard(Access(by), name, obj)


def available_actions(access: Access, obj) -> list[Action]:
    """The actions this user may take on this object now, in the table's order: the page's buttons."""
    return [
        action
        for lifecycle in LIFECYCLES
        if isinstance(obj, lifecycle.kind)
        for action in lifecycle.actions
        if allows(access, action.qualified, obj)
    ]


def available(access: Access, obj) -> set[str]:
    """available_actions() by their qualified names, for templates: `{% if "dossier.submit" in actions %}`."""
    return {action.qualified for action in available_actions(access, obj)}


def markdown() -> str:
    """The table as docs/architecture.md prints it: one section per lifecycle, its states by phase, its actions."""
    lines = []
    for lifecycle in LIFECYCLES:
        lines += [f"### {lifecycle.label} (`{lifecycle.name}`, on `{lifecycle.kind.__name__}`)", ""]
        phases = [
            f"{phase}: "
            + ", ".join(f"`{state or '—'}` {label}" for state, (label, p) in lifecycle.states.items() if p == phase)
            for phase in lifecycle.phases
            if lifecycle.in_phases(phase)
        ]
        lines += [f"States, by phase — {' · '.join(phases)}.", ""]
        lines += ["| action | label | from | to | who may act | conditions | moves the dossier | effects |"]
        lines += ["|---|---|---|---|---|---|---|---|"]
        for action in lifecycle.actions:
            sources = ", ".join(f"`{state or '—'}`" for state in sorted(action.sources))
            conditions = ", ".join(f"`{condition.__name__}`" for condition in action.conditions)
            moves = "; ".join(
                f"{', '.join(f'`{s or chr(8212)}`' for s in sorted(froms))} → `{to}`" for froms, to in action.moves
            )
            target = f"`{action.target}`" if action.target is not None else "same"
            cells = [f"`{action.qualified}`", action.label, sources, target, f"`{action.policy.__name__}`",
                     conditions, moves, action.effects]  # fmt: skip
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)
