"""The header's main navigation: what each reader reaches from every page, as the workflow and Access grant it.

A template only lays the items out; whether an item shows is asked here of the same rules the pages apply
(permits() for an action whose object is chosen later, Access for what a reader reads)."""

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse

from core.permissions import Access
from core.workflow import permits


@dataclass
class NavItem:
    label: str
    url: str = ""
    # A menu's links; an item with children is a DSFR menu button, not a link.
    children: list["NavItem"] = field(default_factory=list)
    current: bool = False


def _link(request: HttpRequest, label: str, url: str, *, exact: bool = False) -> NavItem:
    current = request.path == url if exact else request.path.startswith(url)
    return NavItem(label, url, current=current)


def main_navigation(request: HttpRequest, access: Access) -> list[NavItem]:
    if not access.memberships:
        return []
    items = [_link(request, "Accueil", reverse("home"), exact=True)]
    if permits(access, "committee.create_dossier"):
        items.append(_link(request, "Nouveau dossier", reverse("dossier_new")))
    for committee in access.own_committees():
        links = [_link(request, "Dossiers du comité", reverse("committee_detail", args=[committee.pk]), exact=True)]
        if access.can_read_committee_drafts(committee):
            links.append(
                _link(request, "Publication de l'avis conjoint", reverse("committee_publication", args=[committee.pk]))
            )
        links.append(_link(request, "Tableau de bord", reverse("dashboard_committee", args=[committee.pk])))
        # The committee's name and its call's year: a member sits on one committee per call.
        items.append(NavItem(str(committee), children=links, current=any(link.current for link in links)))
    if access.is_national:
        items.append(_link(request, "Appels à projets", reverse("call_list")))
        items.append(_link(request, "Tableau de bord national", reverse("dashboard_national")))
    # The region is the document's, known once it is read: the role alone decides whether the page is offered.
    if permits(access, "import.upload"):
        items.append(_link(request, "Importer un avis conjoint", reverse("import_new")))
    return items


def navigation(request: HttpRequest) -> dict:
    """Context processor: the main navigation of the signed-in reader."""
    if not request.user.is_authenticated:
        return {"main_navigation": []}
    return {"main_navigation": main_navigation(request, Access(request.user))}
