"""What the demo's calls share: their organisations, their projects' details and the demo accounts."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User

from core.models import BudgetLine, Dossier, DossierStrand, Organisation, Public, Territory
from core.services.budgets import requested_refresh
from core.services.organisations import organisation_get_or_create
from demo.auth import DEMO_GROUP

PASSWORD = "demo-aap-2018"


@dataclass
class DemoLogin:
    username: str
    role: str
    organisation: str


def spread(total: int, years: int) -> list[int]:
    """Split a total over the years, the remainder going to the first years."""
    base, extra = divmod(total, years)
    return [base + (1 if year < extra else 0) for year in range(years)]


def organisation(name: str, kind: str, **values) -> Organisation:
    """The organisation of that name, or a new one (`values` apply only then)."""
    return organisation_get_or_create(name=name, kind=kind, **values)[0]


def load_project(dossier: Dossier, details: dict) -> None:
    """A project's details, as the demo's data give them: replaced as a whole, so that running again changes
    nothing."""
    years = details.get("duration_years") or 1
    if (dossier.duration_years, dossier.renewal_note) != (years, details.get("renews", "")):
        dossier.duration_years, dossier.renewal_note = years, details.get("renews", "")
        dossier.save()
    dossier.partners.set([organisation(name, Organisation.Kind.ASSOCIATION) for name in details.get("partners", [])])
    dossier.publics.set([Public.objects.get_or_create(name=name)[0] for name in details.get("publics", [])])

    dossier.strands.all().delete()
    DossierStrand.objects.bulk_create(
        DossierStrand(dossier=dossier, strand=strand, year=year, households=households)
        for strand, total in details.get("strands", {}).items()
        for year, households in enumerate(spread(total, years), start=1)
    )
    dossier.territories.all().delete()
    communes = details.get("communes", [])
    Territory.objects.bulk_create(
        Territory(
            dossier=dossier,
            department=department,
            commune=communes[index] if index < len(communes) else "",
            qpv=details.get("qpv", False),
        )
        for index, department in enumerate(details.get("departments", []))
    )
    dossier.budget_lines.all().delete()
    lines = []
    for funder, key in ((BudgetLine.Funder.FNAVDL, "requested_eur"), (BudgetLine.Funder.OWN_FUNDS, "cofunding_eur")):
        for year, amount in enumerate(spread(details.get(key, 0), years), start=1):
            lines.append(BudgetLine(dossier=dossier, year=year, funder=funder, amount=Decimal(amount)))
    BudgetLine.objects.bulk_create(lines)
    requested_refresh(Dossier.objects.filter(pk=dossier.pk))


def account(username: str, first_name: str, last_name: str) -> User:
    """A demo account, in the group that only demo mode lets log in, with the demo's password."""
    group, _ = Group.objects.get_or_create(name=DEMO_GROUP)
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name = first_name, last_name
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(group)
    return user
