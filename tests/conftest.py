import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import TestCase

# Playwright's sync API keeps an event loop running in the test thread, where the ORM calls of the
# browser tests and of their database teardown are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The browser tests' fixtures (a live server of their own, the demo); the object storage's (an S3 server on loopback).
pytest_plugins = ["tests.browser", "tests.objectstore", "tests.scene"]

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo" / "data"


@pytest.fixture
def seed_text() -> str:
    return (DEMO_DATA / "avis-conjoint-paca-2018.txt").read_text(encoding="utf-8")


@dataclass
class Cast:
    """A fixed cast: one committee with a dossier of each of two landlords, and one user per role."""

    committee: object
    dossier: object
    other_dossier: object
    users: dict


@pytest.fixture
def cast(db) -> Cast:
    return make_cast()


def make_cast() -> Cast:
    """The cast, for a fixture of a wider scope than a test's (tests/test_actions.py builds its world once)."""
    from core.models import Membership, Organisation
    from tests.factories import (
        CommitteeFactory,
        DossierFactory,
        OpinionFactory,
        OrganisationFactory,
        UserFactory,
        member,
    )

    role = Membership.Role
    committee = CommitteeFactory()
    elsewhere = CommitteeFactory()
    landlord, other_landlord = OrganisationFactory(name="Bailleur A"), OrganisationFactory(name="Bailleur B")
    dossier = DossierFactory(committee=committee, lead_landlord=landlord, title="Projet du bailleur A")
    other_dossier = DossierFactory(committee=committee, lead_landlord=other_landlord, title="Projet du bailleur B")
    OpinionFactory(dossier=dossier, remarks="Brouillon de l'avis sur A")
    OpinionFactory(dossier=other_dossier, remarks="Brouillon de l'avis sur B")
    national = OrganisationFactory(name="Secrétariat", kind=Organisation.Kind.NATIONAL)
    funder = OrganisationFactory(name="CGLLS", kind=Organisation.Kind.FUNDER)

    conflicted = member(
        UserFactory(username="member_conflict"), committee.institutions[0], role.COMMITTEE_MEMBER, committee
    )
    users = {
        "anonymous": None,
        "landlord": member(UserFactory(username="landlord"), landlord, role.LANDLORD_STAFF),
        "other_landlord": member(UserFactory(username="other_landlord"), other_landlord, role.LANDLORD_STAFF),
        "member": member(UserFactory(username="member"), committee.institutions[1], role.COMMITTEE_MEMBER, committee),
        # A committee member who also works for the dossier's landlord.
        "member_in_conflict": member(conflicted, landlord, role.LANDLORD_STAFF),
        "other_committee_member": member(
            UserFactory(username="member_elsewhere"), elsewhere.institutions[0], role.COMMITTEE_MEMBER, elsewhere
        ),
        "secretariat": member(UserFactory(username="secretariat"), national, role.SECRETARIAT),
        "observer": member(UserFactory(username="observer"), funder, role.OBSERVER),
        "other_committee_observer": member(
            UserFactory(username="observer_elsewhere"), funder, role.OBSERVER, elsewhere
        ),
    }
    return Cast(committee=committee, dossier=dossier, other_dossier=other_dossier, users=users)


@pytest.fixture
def login(client):
    def login_as(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login_as


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture
def published(cast):
    """Version 1 of the committee's avis conjoint, written as the publication service writes it."""
    from core.models import JointOpinion
    from core.services.joint_opinions import committee_snapshot, snapshot_digest

    content = committee_snapshot(cast.committee)
    # What is queued once it is saved (the search's re-index) runs, as the worker would run it.
    with TestCase.captureOnCommitCallbacks(execute=True):
        JointOpinion.objects.create(
            committee=cast.committee,
            version=1,
            source=JointOpinion.Source.PUBLISHED,
            content=content,
            sha256=snapshot_digest(content),
            published_by=cast.users["member"],
        )
    return cast


@pytest.fixture
def signatories(cast) -> dict:
    """A member not in conflict for each of the committee's co-chairing institutions, by institution: the cast's
    member signs for the State's service, a second member for the AR Hlm."""
    from core.models import Membership
    from tests.factories import UserFactory, member

    ar_hlm = member(
        UserFactory(username="member_ar_hlm"),
        cast.committee.institutions[0],
        Membership.Role.COMMITTEE_MEMBER,
        cast.committee,
    )
    return {cast.committee.institutions[1]: cast.users["member"], cast.committee.institutions[0]: ar_hlm}


@pytest.fixture
def task_queue(settings):
    """The production queue (tasks in the database) in place of the tests' immediate one; its `run()` does what
    `manage.py db_worker --batch` does, with the worker's own code, in the test's transaction, and returns the
    results of the tasks it ran."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False, max_tasks=None,
        worker_id="tests", excluded_queue_names=[],
    )  # fmt: skip

    class Queue:
        @staticmethod
        def queued() -> list:
            return list(DBTaskResult.objects.ready().order_by("enqueued_at"))

        @staticmethod
        def run() -> list:
            # The worker's loop closes stale connections between tasks, which would end the test's transaction.
            ran = []
            while row := DBTaskResult.objects.ready().order_by("-priority", "run_after", "enqueued_at").first():
                row.claim(worker.worker_id)
                worker.run_task(row)
                row.refresh_from_db()
                ran.append(row)
            return ran

    return Queue()
