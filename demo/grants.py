"""The demo's follow-up: two PACA 2018 projects retained, agreed and paid by tranches, one of them published as open
data, the other due (the secretariat's workspace lists it). Through the services, as the secretariat acts.

ILLUSTRATIVE: the decisions, agreements and dates, and the SIRET numbers, made with a valid key, are not the real
ones. Project 1 is left undecided: the browser's national path decides it (tests/test_browser_national.py)."""

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User

from core.identifiers import luhn
from core.models import Call, Decision, Dossier, Organisation
from core.services.decisions import decision_notify, decision_record
from core.services.followup import agreement_create
from core.services.grants import grants_publish

# Project number: the day its agreement was signed. The first is published, the second signed after.
AGREED = {4: date(2019, 3, 15), 6: date(2019, 6, 3)}


def illustrative_siret(seed: int) -> str:
    """14 digits whose Luhn key holds, from a seed: no establishment's number, as a demo's must not be."""
    head = f"999{seed:010d}"
    return next(head + str(key) for key in range(10) if luhn(head + str(key)))


def identify(organisation: Organisation, seed: int) -> None:
    if not organisation.siret:
        organisation.siret = illustrative_siret(seed)
        organisation.full_clean()
        organisation.save(update_fields=["siret"])


def _agree(dossier: Dossier, signed_on: date, by: User) -> bool:
    """Retain, notify and agree the dossier, paid in one tranche a year; False when it already is."""
    if hasattr(dossier, "agreement"):
        return False
    cap = dossier.call.cap_per_project or dossier.requested
    amount = min(dossier.requested, cap)
    if not hasattr(dossier, "decision"):
        decision_record(dossier=dossier, outcome=Decision.Outcome.RETAINED, amount_granted=amount, conditions="",
                        by=by)  # fmt: skip
        decision_notify(dossier=dossier, by=by)
    years = dossier.duration_years or 1
    share, first = divmod(amount, years)
    tranches = [
        {"amount": share + (first if year == 0 else 0), "due_on": signed_on.replace(year=signed_on.year + year)}
        for year in range(years)
    ]
    starts_on = signed_on.replace(day=1)
    agreement_create(dossier=dossier, amount=Decimal(amount), signed_on=signed_on, starts_on=starts_on,
                     ends_on=starts_on.replace(year=starts_on.year + years), tranches=tranches, by=by)  # fmt: skip
    return True


def demo_grants(call: Call, grantor: Organisation, by: User) -> None:
    identify(grantor, 1)
    if call.grantor_id is None:
        call.grantor = grantor
        call.save(update_fields=["grantor"])
    dossiers = {d.number: d for d in call.dossiers.select_related("call", "lead_landlord")}
    for number in AGREED:
        identify(dossiers[number].lead_landlord, 100 + number)
    first, second = AGREED
    if _agree(dossiers[first], AGREED[first], by):
        grants_publish(call=call, by=by)
    _agree(dossiers[second], AGREED[second], by)
