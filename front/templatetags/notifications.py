from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The header's count, read with the user on each request (demo.auth); counted here for a user loaded otherwise."""
    user = context["user"]
    counted = getattr(user, "unread_notifications", None)
    return user.notifications.filter(read_at=None).count() if counted is None else counted
