"""Query strings read strictly: a parameter that takes one value and is given several is refused."""

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.errors import HttpError
from ninja.parser import Parser


class StrictParser(Parser):
    # Ninja keeps the last of repeated values, so `?cursor=x&cursor=` would silently read the first page.
    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict:
        repeated = sorted(key for key, values in data.lists() if len(values) > 1 and key not in list_fields)
        if repeated:
            names = ", ".join(f"« {key} »" for key in repeated)
            raise HttpError(422, f"Paramètres invalides : {names} : une seule valeur attendue.")
        return super().parse_querydict(data, list_fields, request)
