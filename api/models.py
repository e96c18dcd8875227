# Django discovers an app's models here; the token model lives with the authentication that reads it.
from api.tokens import ApiToken

__all__ = ["ApiToken"]
