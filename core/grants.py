"""A call's grants as open data: one row per agreed grant, in the national schema SCDL « Subventions » 2.1.1
(documents/schemas/scdl-subventions-2.1.1.json).

A grant is a dossier's agreement: its decision gives the reference, its signature the date, its tranches how it is
paid. The public reads a grant once the secretariat has published it (Agreement.published_at); a grant of
PUBLICATION_THRESHOLD or more is due within PUBLICATION_MONTHS of its signature (décret n° 2017-779, art. 1).
"""

import calendar
import csv
import io
import re
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from core.models import Agreement, Call

SCHEMA = "documents/schemas/scdl-subventions-2.1.1.json"
PUBLICATION_THRESHOLD = Decimal(23000)
PUBLICATION_MONTHS = 3
FIELDS = (
    "nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire", "idBeneficiaire",
    "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement", "datesPeriodeVersement", "idRAE",
    "notificationUE", "pourcentageSubvention", "dispositifAide",
)  # fmt: skip
# The schema's limit on the grant's object.
OBJECT_LENGTH = 256


def publish_by(signed_on: date) -> date:
    """The last day to publish a grant signed that day: PUBLICATION_MONTHS later, on the month's last day if shorter."""
    month = signed_on.month - 1 + PUBLICATION_MONTHS
    year, month = signed_on.year + month // 12, month % 12 + 1
    return signed_on.replace(year=year, month=month, day=min(signed_on.day, calendar.monthrange(year, month)[1]))


def _siret(number: str) -> str:
    """The number if it is a SIRET: an organisation may be known by its SIREN alone, which the schema does not take."""
    return number if re.fullmatch(r"\d{14}", number) else ""


def grant_problem(agreement: Agreement) -> str | None:
    """Why the grant cannot be published as the schema asks (French), or None."""
    call, landlord = agreement.dossier.call, agreement.dossier.lead_landlord
    if agreement.signed_on is None:
        return "la convention n'est pas signée."
    if call.grantor is None or not _siret(call.grantor.siret):
        return "l'appel n'a pas d'attribuant dont le SIRET (14 chiffres) est connu."
    if not (_siret(landlord.siret) or landlord.rna):
        return f"le bénéficiaire {landlord} n'a ni SIRET (14 chiffres) ni numéro RNA."
    return None


def _payment_dates(agreement: Agreement) -> str:
    """The date of a single payment, or the period from the first tranche's due date to the last one's; the
    agreement's period when the tranches have no due date."""
    dates = sorted(t.due_on for t in agreement.tranches.all() if t.due_on)
    if len(dates) == 1 and len(agreement.tranches.all()) == 1:
        return dates[0].isoformat()
    first, last = (dates[0], dates[-1]) if len(dates) > 1 else (agreement.starts_on, agreement.ends_on)
    return f"{first.isoformat()}/{last.isoformat()}"


def _object(agreement: Agreement) -> str:
    text = f"Accompagnement social de ménages : {agreement.dossier.title}"
    return text if len(text) <= OBJECT_LENGTH else text[: OBJECT_LENGTH - 1] + "…"


def grant_row(agreement: Agreement) -> dict[str, str]:
    """The grant as a row of the schema, its values as the file writes them."""
    dossier = agreement.dossier
    call, landlord = dossier.call, dossier.lead_landlord
    # Checked when published (grant_problem); a call's grantor unset since leaves its cells empty, not the file.
    grantor = call.grantor
    return {
        "nomAttribuant": grantor.name if grantor else "",
        "idAttribuant": _siret(grantor.siret) if grantor else "",
        "dateConvention": agreement.signed_on.isoformat(),
        # The decision has no number of its own: the call's and the dossier's, which never change.
        "referenceDecision": f"AAP{call.edition or call.year}-{dossier.pk}",
        "nomBeneficiaire": landlord.name,
        "idBeneficiaire": _siret(landlord.siret),
        "rnaBeneficiaire": landlord.rna,
        "objet": _object(agreement),
        "montant": f"{agreement.amount:.2f}",
        "nature": "aide en numéraire",
        "conditionsVersement": "unique" if len(agreement.tranches.all()) == 1 else "échelonné",
        "datesPeriodeVersement": _payment_dates(agreement),
        "idRAE": "",
        "notificationUE": "non",
        # The lead landlord receives the whole grant: its co-landlords are paid through it.
        "pourcentageSubvention": "1.00",
        "dispositifAide": call.title,
    }


def published(call: Call) -> QuerySet[Agreement]:
    """What the public reads of the call: its grants once published."""
    return (
        Agreement.objects.filter(dossier__call=call, published_at__isnull=False)
        .select_related("dossier__call__grantor", "dossier__lead_landlord")
        .prefetch_related("tranches")
        .order_by("signed_on", "dossier__committee__name", "dossier__number")
    )


def to_publish(call: Call) -> QuerySet[Agreement]:
    """The call's signed agreements not yet published."""
    return Agreement.objects.filter(dossier__call=call, signed_on__isnull=False, published_at__isnull=True)


def due(calls: QuerySet[Call] | None = None) -> QuerySet[Agreement]:
    """The grants the law asks to publish and that are not: PUBLICATION_THRESHOLD or more, signed, unpublished."""
    agreements = Agreement.objects.filter(
        signed_on__isnull=False, published_at__isnull=True, amount__gte=PUBLICATION_THRESHOLD
    )
    return agreements if calls is None else agreements.filter(dossier__call__in=calls)


def grants_csv(rows) -> str:
    """The rows as the schema's CSV: its header, comma-separated, the decimal point."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
