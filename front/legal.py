"""The pages every State service publishes: accessibility statement, legal notice, personal data. Public, as the
footer links to them from every page, the login page included."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# RGAA: without a complete audit of the criteria, a service is declared non-compliant, whatever its automated tests
# find. What they find is on the statement page.
ACCESSIBILITY_STATUS = "non conforme"


def service(request: HttpRequest) -> dict:
    """Context processor: the service's name, and the accessibility status the footer's link states."""
    return {"AAP_SERVICE": settings.AAP_SERVICE, "ACCESSIBILITY_STATUS": ACCESSIBILITY_STATUS}


def _page(request: HttpRequest, template: str, title: str) -> HttpResponse:
    return render(
        request,
        f"front/legal/{template}.html",
        {
            "title": title,
            "publisher": settings.AAP_PUBLISHER,
            "host": settings.AAP_HOST,
            "contact": settings.AAP_CONTACT_EMAIL,
        },
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    return _page(request, "accessibility", "Déclaration d'accessibilité")


def legal_notice(request: HttpRequest) -> HttpResponse:
    return _page(request, "legal_notice", "Mentions légales")


def personal_data(request: HttpRequest) -> HttpResponse:
    return _page(request, "personal_data", "Données personnelles")
