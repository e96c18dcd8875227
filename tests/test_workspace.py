"""The workspace: what awaits each user, from the workflow.

where() asks the database what allows() asks of each object: test_where_selects_what_allows_lets_act_on holds them
to the same answer, for every action it covers, every role and every object of tests/test_actions.py's world. The
workspace page then lists, for each role, exactly the actions available to it (test_the_workspace_lists_...), at a
number of queries that does not grow with the dossiers (test_query_counts.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from core.permissions import Access
from core.workflow import ACTIONS, LIFECYCLE, allows, where
from tests.test_actions import ROLES, quiet, world  # noqa: F401 (fixtures)

# The actions whose every part has a filter form: those on rows of the database that where() may list.
FILTERED = sorted(
    name
    for name, action in ACTIONS.items()
    if LIFECYCLE[action.lifecycle].rows is not None
    and hasattr(action.policy, "where")
    and all(hasattr(condition, "where") for condition in action.conditions)
)


def test_where_covers_every_action_on_dossiers_and_their_parts():
    assert FILTERED == sorted(
        name for name, action in ACTIONS.items() if action.lifecycle not in {"call", "committee", "exchanges"}
    )


def _access(world, role: str) -> Access:
    return Access(world.users[role] or AnonymousUser())


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", FILTERED)
def test_where_selects_what_allows_lets_act_on(world, role, name):  # noqa: F811
    access = _access(world, role)
    kind = LIFECYCLE[ACTIONS[name].lifecycle].kind
    written = {label: obj for label, obj in world.objects(kind).items() if obj.pk}
    selected = set(kind.objects.filter(where(access, name)).values_list("pk", flat=True))
    expected = {label for label, obj in written.items() if allows(access, name, obj)}
    assert {label for label, obj in written.items() if obj.pk in selected} == expected
