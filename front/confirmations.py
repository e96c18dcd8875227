"""Asking before an irreversible or broadcast action: what will happen, and to whom.

Each action's button opens a DSFR modal that says it and posts the action; without JavaScript, the button is a link
to the same text on a page of its own (the action's URL read with GET), whose form posts it. Nothing is done until
that form is sent. The people told are counted as the notification will reach them (notifications.addresses, on the
recipients the policies name), never in a template."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core import grants
from core.formats import euros
from core.formats import plural as french_plural
from core.models import Call, Committee, Decision, Dossier, PaymentTranche
from core.policies import landlord_staff_of
from core.services.notifications import addresses, told_of_publication, told_of_submission
from core.workflow import RECEIVED


@dataclass
class Confirmation:
    qualified: str  # the workflow's action: the form carries it as its data-action
    key: str  # names the modal: unique on its page
    title: str  # the question
    action: str  # the button that asks, and the confirmation page's title
    confirm: str  # the button that acts
    url: str  # where the action is posted, and read with GET without JavaScript
    lines: list[str]  # what will happen, and to whom
    told: int | None = None  # the people an e-mail will reach, when the action sends one
    fields: dict = field(default_factory=dict)  # hidden fields the action needs
    date_label: str = ""  # a date to give (a payment's)
    back: str = ""  # where the confirmation page's "Annuler" leads
    query: str = ""  # the no-JavaScript link's query string

    @property
    def page_url(self) -> str:
        return f"{self.url}?{self.query}" if self.query else self.url


def _people(count: int) -> str:
    return f"{count} personne{'s' if count > 1 else ''}"


def _told(count: int, who: str) -> str:
    if not count:
        return f"Personne ne sera averti par courriel : aucun {who} n'a d'adresse."
    return f"{_people(count)} ({who}) {'seront averties' if count > 1 else 'sera avertie'} par courriel."


def submission(dossier: Dossier) -> Confirmation:
    told = len(addresses(told_of_submission(dossier)))
    return Confirmation(
        "dossier.submit",
        "submit",
        f"Déposer le projet N°{dossier.number} « {dossier.title} » ?",
        "Déposer le dossier",
        "Confirmer le dépôt",
        reverse("dossier_submit", args=[dossier.pk]),
        [
            f"Le dossier sera transmis au comité {dossier.committee.name} et ne pourra plus être modifié, sauf s'il "
            "vous est renvoyé comme incomplet.",
            _told(told, f"membres du comité {dossier.committee.name}"),
        ],
        told,
        back=reverse("dossier_detail", args=[dossier.pk]),
    )


def publication(committee: Committee, version: int) -> Confirmation:
    dossiers = list(committee.dossiers.filter(state__in=RECEIVED).only("pk", "lead_landlord_id"))
    told = len(addresses(told_of_publication(committee, dossiers)))
    landlords = len(addresses(landlord_staff_of(dossiers)))
    return Confirmation(
        "committee.publish",
        "publish",
        f"Publier la version {version} de l'avis conjoint ?",
        "Publier l'avis conjoint",
        "Confirmer la publication",
        reverse("committee_publish", args=[committee.pk]),
        [
            f"Les avis des {len(dossiers)} dossiers seront figés dans la version {version}, avec son empreinte "
            "SHA-256 ; les versions précédentes restent consultables.",
            f"Chaque porteur lira la section de ses dossiers : {_people(landlords)} chez les bailleurs porteurs.",
            _told(told, "membres du comité et porteurs"),
        ],
        told,
        back=reverse("committee_publication", args=[committee.pk]),
    )


def notification(scope: Call | Committee) -> Confirmation:
    """The decisions recorded, notified at once: a national selection's by the secretariat (a call), a regional
    decision's by its committee (a committee)."""
    regional = isinstance(scope, Committee)
    kind = "committee" if regional else "call"
    pending = Decision.objects.filter(**{f"dossier__{kind}": scope}, notified_at__isnull=True)
    return _notification(
        f"{kind}.notify_decisions",
        pending,
        f"le comité « {scope.name} »" if regional else f"l'appel « {scope.title} »",
        reverse(f"{kind}_notify", args=[scope.pk]),
        reverse("committee_detail" if regional else "call_selection", args=[scope.pk]),
    )


def _notification(qualified: str, pending, where: str, url: str, back: str) -> Confirmation:
    pending = list(pending.select_related("dossier"))
    dossiers = [decision.dossier for decision in pending]
    told = len(addresses(landlord_staff_of(dossiers)))
    plural = french_plural(len(pending))
    return Confirmation(
        qualified,
        "notify",
        f"Notifier {len(pending)} décision{plural} ?",
        "Notifier les décisions enregistrées",
        "Confirmer la notification",
        url,
        [
            f"{len(pending)} décision{plural} enregistrée{plural} sur {where} "
            f"{'seront notifiées' if plural else 'sera notifiée'} : les porteurs la liront sur leur dossier, et elle "
            "ne pourra plus être effacée.",
            _told(told, "porteurs des dossiers"),
        ],
        told,
        back=back,
    )


# What each step of a call changes for its users.
STEP_EFFECTS = {
    Call.Status.OPEN: "Les bailleurs pourront créer et déposer leurs dossiers sur cet appel.",
    Call.Status.CLOSED: "Plus aucun dossier ne pourra être déposé ; les brouillons restent en l'état.",
    Call.Status.DECIDED: "La sélection nationale sera arrêtée.",
    Call.Status.ARCHIVED: "L'appel sera archivé.",
}


def call_step(call: Call, step) -> Confirmation:
    return Confirmation(
        step.qualified,
        f"step-{step.target}",
        f"{step.label} : « {call.title} » ?",
        step.label,
        f"Confirmer : {step.label[0].lower()}{step.label[1:]}",
        reverse("call_advance", args=[call.pk]),
        [
            f"L'appel passera de « {call.get_status_display()} » à « {Call.Status(step.target).label} ».",
            STEP_EFFECTS[step.target],
            "Aucun courriel n'est envoyé.",
        ],
        fields={"status": step.target},
        back=reverse("call_detail", args=[call.pk]),
        query=f"status={step.target}",
    )


def payment(tranche: PaymentTranche, left: Decimal) -> Confirmation:
    """`left`: what remains to pay on the agreement now (followup.remaining), read once for all its tranches."""
    agreement = tranche.agreement
    after = left - tranche.amount
    return Confirmation(
        "tranche.pay",
        f"pay-{tranche.pk}",
        f"Enregistrer le versement de la tranche {tranche.order} ?",
        "Enregistrer le versement",
        f"Confirmer le versement de la tranche {tranche.order}",
        reverse("tranche_paid", args=[tranche.pk]),
        [
            f"Le versement de {euros(tranche.amount)} sera enregistré à la date donnée ; il ne pourra plus être "
            "modifié.",
            f"Il restera {euros(after)} à verser sur la convention.",
            "Aucun courriel n'est envoyé.",
        ],
        date_label=f"Date du versement de la tranche {tranche.order}",
        back=reverse("dossier_followup", args=[agreement.dossier_id]) + "#convention",
    )


def confirmation_page(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    """The confirmation without JavaScript: the action's URL read with GET, which changes nothing."""
    return render(request, "front/confirmation_page.html", {"title": confirmation.action, "confirmation": confirmation})


def grants_publication(call: Call) -> Confirmation:
    pending = grants.to_publish(call).count()
    plural = "s" if pending > 1 else ""
    return Confirmation(
        "call.publish_grants",
        "publish-grants",
        f"Publier {pending} subvention{plural} en données ouvertes ?",
        "Publier les subventions",
        "Confirmer la publication",
        reverse("call_publish_grants", args=[call.pk]),
        [
            f"{pending} subvention{plural} conventionnée{plural} de l'appel « {call.title} » "
            f"{'seront publiées' if plural else 'sera publiée'} sans connexion, au format national SCDL "
            "« Subventions » : attribuant, bénéficiaire, montant, date de la convention et versements.",
            "Une subvention publiée ne peut plus être retirée du fichier.",
        ],
        back=reverse("call_detail", args=[call.pk]),
    )
