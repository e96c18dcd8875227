from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from core.models import Notification

DEMO_GROUP = "Comptes de démonstration"


def acting_users(users: QuerySet[User]) -> QuerySet[User]:
    """Those of `users` who may act now. Demo accounts have public passwords: outside demo mode they may
    not log in, keep a session open nor use an API token. Password login, sessions and tokens all ask here."""
    users = users.filter(is_active=True)
    return users if settings.DEMO else users.exclude(groups__name=DEMO_GROUP)


class DemoAwareBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return acting_users(User.objects.filter(pk=user.pk)).exists()

    def get_user(self, user_id):
        # Every request asks: one query for the user, the rule and the header's count of unread notifications.
        unread = (
            Notification.objects.filter(user=OuterRef("pk"), read_at=None)
            .order_by()
            .values("user")
            .annotate(count=Count("pk"))
            .values("count")
        )
        users = acting_users(User.objects.filter(pk=user_id))
        return users.annotate(unread_notifications=Coalesce(Subquery(unread, output_field=IntegerField()), 0)).first()
