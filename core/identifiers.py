"""An organisation's official numbers: SIREN (9 digits) or SIRET (14), checked by their Luhn key, and the RNA
number of associations ("W" and 9 digits). No public register can be reached from here: numbers are typed, and
checked as the INSEE builds them.

Stored without spaces ("123456782", "W131000123"); typed with any spaces, dots or dashes.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

# La Poste's establishments share one SIREN, and their SIRETs do not all follow the Luhn key: the sum of their
# digits is a multiple of 5 instead (INSEE). Its head office's, 356 000 000 00048, follows the Luhn key.
LA_POSTE = "356000000"
EXPECTED = "un SIREN a 9 chiffres, un SIRET 14, un numéro RNA (associations) un W suivi de 9 chiffres"


def compact(text: str) -> str:
    """The number without its separators, upper case: " 123 456 782 " is "123456782", "w13-100-0123" "W131000123"."""
    return re.sub(r"[\s.\-/\u00a0\u202f]", "", text).upper()


def luhn(digits: str) -> bool:
    """The Luhn key: every second digit from the right doubled (its digits added), the total a multiple of 10."""
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def siren_or_siret_problem(number: str) -> str | None:
    """Why the number is no SIREN or SIRET, in French; None when it is one."""
    if not re.fullmatch(r"\d{9}|\d{14}", number):
        return f"« {number} » n'est ni un SIREN ni un SIRET : {EXPECTED}."
    kind = "SIREN" if len(number) == 9 else "SIRET"
    la_poste = len(number) == 14 and number.startswith(LA_POSTE) and sum(int(digit) for digit in number) % 5 == 0
    if not (luhn(number) or la_poste):
        return f"Le {kind} {number} n'est pas valide : sa clé de contrôle ne correspond pas. Vérifiez chaque chiffre."
    return None


def validate_siren_or_siret(number: str) -> None:
    if problem := siren_or_siret_problem(number):
        raise ValidationError(problem, code="invalid")


def validate_rna(number: str) -> None:
    if not re.fullmatch(r"W\d{9}", number):
        raise ValidationError(f"« {number} » n'est pas un numéro RNA : un W suivi de 9 chiffres.", code="invalid")


@dataclass(frozen=True)
class Identifier:
    """A number as typed, read: `siret` (a SIREN or a SIRET) or `rna`."""

    siret: str = ""
    rna: str = ""

    @property
    def siren(self) -> str:
        return self.siret[:9]


# No number given.
NONE = Identifier()


def read_identifier(text: str) -> Identifier:
    """A SIREN, SIRET or RNA number as typed; ValidationError, in French, when it is none of them."""
    number = compact(text)
    if not number:
        return NONE
    if number.startswith("W"):
        validate_rna(number)
        return Identifier(rna=number)
    validate_siren_or_siret(number)
    return Identifier(siret=number)
