"""Every error as `{"detail": "<message en français>"}`, never a 500 for what a client sent."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

AUTHENTICATION_REQUIRED = "Authentification requise : jeton d'accès (Authorization: Bearer …) ou session ouverte."

# What pydantic found wrong, said in French; anything else is "valeur invalide".
PROBLEMS = {
    "missing": "paramètre requis",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "greater_than_equal": "valeur au moins égale à {ge} attendue",
    "less_than_equal": "valeur au plus égale à {le} attendue",
    "string_too_long": "au plus {max_length} caractères",
    "string_too_short": "au moins {min_length} caractères",
    "literal_error": "valeur inconnue ; valeurs possibles : {expected}",
    "enum": "valeur inconnue ; valeurs possibles : {expected}",
    "datetime_parsing": "date et heure ISO 8601 attendues (2025-01-31T12:00:00+01:00)",
    "datetime_from_date_parsing": "date et heure ISO 8601 attendues (2025-01-31T12:00:00+01:00)",
    "datetime_type": "date et heure ISO 8601 attendues (2025-01-31T12:00:00+01:00)",
}


def _problem(error: dict) -> str:
    # The first element of loc says where the value came from (query, path, header), the rest names it.
    name = ".".join(str(part) for part in error.get("loc", ())[1:]) or "requête"
    template = PROBLEMS.get(error.get("type", ""), "valeur invalide")
    try:
        problem = template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        problem = "valeur invalide"
    return f"« {name} » : {problem}."


def validation_message(errors: list[dict]) -> str:
    return "Paramètres invalides : " + " ".join(_problem(error) for error in errors)


def install(api: NinjaAPI) -> None:
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": validation_message(exc.errors)}, status=422)

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # The pages' 404 messages are already French ("Dossier introuvable."); ninja's own are not.
        message = str(exc) if exc.args else "Ressource introuvable."
        return api.create_response(request, {"detail": message}, status=404)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else AUTHENTICATION_REQUIRED
        return api.create_response(request, {"detail": message}, status=exc.status_code)

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message}, status=exc.status_code)

    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
