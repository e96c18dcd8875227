from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core.models import Notification

DEMO_GROUP = "Comptes de démonstration"


class DemoAwareBackend(ModelBackend):
    """Demo accounts have public passwords: they may log in only while the app runs in demo mode."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return settings.DEMO or not user.groups.filter(name=DEMO_GROUP).exists()

    def get_user(self, user_id):
        # Every request asks: one query for the user, the demo check and the header's count of unread notifications.
        unread = (
            Notification.objects.filter(user=OuterRef("pk"), read_at=None)
            .order_by()
            .values("user")
            .annotate(count=Count("pk"))
            .values("count")
        )
        users = User.objects.filter(pk=user_id, is_active=True).annotate(
            unread_notifications=Coalesce(Subquery(unread, output_field=IntegerField()), 0)
        )
        if not settings.DEMO:
            users = users.exclude(groups__name=DEMO_GROUP)
        return users.first()
