from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User

DEMO_GROUP = "Comptes de démonstration"


class DemoAwareBackend(ModelBackend):
    """Demo accounts have public passwords: they may log in only while the app runs in demo mode."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return settings.DEMO or not user.groups.filter(name=DEMO_GROUP).exists()

    def get_user(self, user_id):
        # Every request asks: one query for the user and the demo check together.
        users = User.objects.filter(pk=user_id, is_active=True)
        if not settings.DEMO:
            users = users.exclude(groups__name=DEMO_GROUP)
        return users.first()
