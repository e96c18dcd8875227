"""Version 1 of the REST API: read-only, under /api/v1/, the same permission rules as the pages."""

from ninja import NinjaAPI
from ninja.security import SessionAuth

from api import committees, dossiers, errors
from api.parser import StrictParser
from api.tokens import BearerToken

api = NinjaAPI(
    title="API aap — 10 000 logements HLM accompagnés",
    version="1",
    description=(
        "Lecture des appels, comités, dossiers, avis, décisions et bilans, selon les droits de l'utilisateur. "
        "Authentification : `Authorization: Bearer <jeton>` (jeton personnel créé sur /compte/jetons/) "
        "ou session ouverte dans aap. Pagination par curseur : `?cursor=<next>&limit=` (200 au plus)."
    ),
    # A token first: a script sends one; the browser on the docs page has the session.
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api-v1",
    parser=StrictParser(),
)
errors.install(api)
api.add_router("", committees.router)
api.add_router("", dossiers.router)
