from django.conf import settings
from django.contrib.auth.backends import ModelBackend

DEMO_GROUP = "Comptes de démonstration"


class DemoAwareBackend(ModelBackend):
    """Demo accounts have public passwords: they may log in only while the app runs in demo mode."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return settings.DEMO or not user.groups.filter(name=DEMO_GROUP).exists()
