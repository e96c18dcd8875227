"""Finding and creating organisations: one per name as compared (core.text.name_key), one per SIREN, one per RNA
number. Every path that names an organisation (the importer, a committee's institutions, the demo, a partner)
comes here, so that "LOGEO MÉDITERRANÉE" and "Logeo Mediterranee" are never two."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.identifiers import NONE, Identifier, compact, read_identifier
from core.models import Organisation
from core.text import name_key


def organisation_named(name: str) -> Organisation | None:
    """The organisation of that name, whatever its case, accents, spaces and punctuation."""
    key = name_key(name)
    return Organisation.objects.filter(folded_name=key).first() if key else None


def organisation_identified(identifier: Identifier) -> Organisation | None:
    """The organisation with that number: the same SIREN (a SIRET's first 9 digits: the same legal person) or the
    same RNA number."""
    if identifier.siret:
        return Organisation.objects.filter(siret__startswith=identifier.siren).order_by("pk").first()
    if identifier.rna:
        return Organisation.objects.filter(rna=identifier.rna).first()
    return None


def organisation_referred(reference: str) -> Organisation | None:
    """The organisation a user names by its number in aap ("12") or by its SIREN or SIRET ("782 855 696"): an
    imported landlord linked by hand. ValidationError, in French, for a SIREN or SIRET whose key is wrong."""
    number = compact(reference)
    if re.fullmatch(r"\d{9}|\d{14}", number):
        return organisation_identified(read_identifier(number))
    if number.isdigit():
        return Organisation.objects.filter(pk=int(number)).first()
    return None


def organisation_create(*, name: str, kind: str, identifier: Identifier = NONE, **values) -> Organisation:
    """A new organisation, checked (its name and numbers not taken, its legal form its kind's)."""
    organisation = Organisation(
        name=" ".join(name.split()), kind=kind, siret=identifier.siret, rna=identifier.rna, **values
    )
    if identifier.rna and not organisation.legal_form:
        organisation.legal_form = Organisation.LegalForm.ASSOCIATION
    organisation.full_clean()
    organisation.save()
    return organisation


def organisation_get_or_create(*, name: str, kind: str, **values) -> tuple[Organisation, bool]:
    """The organisation of that name as compared, or a new one (`values` apply only then). Two requests creating
    the same name at once meet the unique folded name: the second finds the first's."""
    existing = organisation_named(name)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return organisation_create(name=name, kind=kind, **values), True
    except (IntegrityError, ValidationError):
        existing = organisation_named(name)
        if existing is None:
            raise
        return existing, False


@dataclass(frozen=True)
class NewOrganisation:
    """An organisation a user names for the first time: its name, and its number if they know it."""

    name: str
    identifier: Identifier = NONE
