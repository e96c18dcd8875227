"""In-app notifications: every event that e-mails leaves a notification to the same users, those the policy layer names;
each user chooses e-mails at once, a daily digest or none; the header counts what is unread."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import Task

from core import policies
from core.models import (
    Decision,
    DepartmentalOpinion,
    ExpertRequest,
    JointOpinion,
    Membership,
    Message,
    Notification,
    Organisation,
    Preference,
    Report,
    StateTransition,
    Territory,
)
from core.permissions import Access
from core.services import notifications
from tests.access import text
from tests.factories import OrganisationFactory, UserFactory, member


@pytest.fixture
def world(cast):
    """The cast, an invited expert asked about dossier A, the instructor of dossier A's department, and an address for
    everyone."""
    expert = member(UserFactory(username="expert"), OrganisationFactory(kind=Organisation.Kind.OTHER),
                    Membership.Role.EXPERT)  # fmt: skip
    cast.users["expert"] = expert
    Territory.objects.create(dossier=cast.dossier, department="13")
    cast.users["instructor"] = UserFactory(username="instructeur13")
    Membership.objects.create(user=cast.users["instructor"], role=Membership.Role.DEPARTMENTAL_INSTRUCTOR,
                              organisation=OrganisationFactory(kind=Organisation.Kind.DEPARTMENTAL_SERVICE),
                              committee=cast.committee, department="13")  # fmt: skip
    for user in cast.users.values():
        if user is not None:
            user.email = f"{user.username}@example.org"
            user.save()
    return cast


def _message(cast, role: str) -> int:
    return Message.objects.create(dossier=cast.dossier, author=cast.users[role], from_committee=role == "member",
                                  body="Pouvez-vous préciser ?").pk  # fmt: skip


def _request(cast) -> ExpertRequest:
    return ExpertRequest.objects.get_or_create(dossier=cast.dossier, expert=cast.users["expert"],
                                               requested_by=cast.users["member"], question="Réaliste ?")[0]  # fmt: skip


def _returned(cast) -> int:
    StateTransition.objects.create(dossier=cast.dossier, from_state="depose", to_state="incomplet", message="Budget ?")
    return cast.dossier.pk


def _published(cast) -> int:
    content = {"projects": [{"number": cast.dossier.number}], "call": "", "region": "", "instructed_on": ""}
    return JointOpinion.objects.create(committee=cast.committee, version=1, source="publication", sha256="0" * 64,
                                       content=content).pk  # fmt: skip


def _departmental(cast) -> int:
    return DepartmentalOpinion.objects.create(
        dossier=cast.dossier,
        department="13",
        verdict="reserve",
        reasons="Un seul.",
        given_by=cast.users["instructor"],
        given_at=timezone.now(),
    ).pk


def _decided(cast) -> list[int]:
    return [Decision.objects.create(dossier=cast.dossier, outcome="retenu", amount_granted=1000,
                                    notified_at=timezone.now()).pk]  # fmt: skip


def _report_returned(cast) -> int:
    return Report.objects.create(dossier=cast.dossier, year=1, state=Report.State.RETURNED,
                                 returned_message="Il manque les dépenses.").pk  # fmt: skip


def _signatures_cleared(cast) -> tuple:
    opinion = cast.dossier.opinion
    return opinion.pk, [cast.committee.institutions[0].pk, cast.committee.institutions[1].pk]


def _author_excluded(role):
    return lambda access, cast: access.user != cast.users[role]


# event -> (the notification and its argument, who the policy layer says is told, as predicates on (access, cast))
EVENTS = {
    "dossier submitted": (
        notifications.notify_dossier_submitted, lambda cast: cast.dossier.pk,
        lambda access, cast: policies.committee_members(access, cast.committee)
        or policies.departmental_instructor(access, cast.dossier),
    ),
    "departmental opinion given": (
        notifications.notify_departmental_opinion, _departmental,
        lambda access, cast: policies.committee_member(access, cast.dossier),
    ),
    "dossier returned": (
        notifications.notify_dossier_returned, _returned,
        lambda access, cast: policies.carrier_staff(access, cast.dossier),
    ),
    "avis conjoint published": (
        notifications.notify_joint_opinion_published, _published,
        lambda access, cast: policies.committee_members(access, cast.committee)
        or policies.carrier_staff(access, cast.dossier),
    ),
    "message from the committee": (
        notifications.notify_message, lambda cast: _message(cast, "member"),
        lambda access, cast: policies.carrier_staff(access, cast.dossier) and _author_excluded("member")(access, cast),
    ),
    "message from the landlord": (
        notifications.notify_message, lambda cast: _message(cast, "landlord"),
        lambda access, cast: policies.committee_member(access, cast.dossier)
        and _author_excluded("landlord")(access, cast),
    ),
    "advice requested": (
        notifications.notify_advice_requested, lambda cast: _request(cast).pk,
        lambda access, cast: policies.asked_expert(access, _request(cast)),
    ),
    "advice given": (
        notifications.notify_advice_given, lambda cast: _request(cast).pk,
        lambda access, cast: policies.committee_member(access, cast.dossier),
    ),
    "report returned": (
        notifications.notify_report_returned, _report_returned,
        lambda access, cast: policies.carrier_staff(access, cast.dossier),
    ),
    "signatures cleared": (
        notifications.notify_signatures_cleared, _signatures_cleared,
        lambda access, cast: policies.committee_member(access, cast.dossier),
    ),
    "decision notified": (
        notifications.notify_decisions, _decided,
        lambda access, cast: policies.carrier_staff(access, cast.dossier),
    ),
}  # fmt: skip


def test_every_e_mail_event_is_listed():
    sent = {name for name in dir(notifications) if isinstance(getattr(notifications, name), Task)}
    assert sent == {notify.name for notify, _, _ in EVENTS.values()}


@pytest.mark.parametrize("event", EVENTS)
def test_recipients_are_the_policys_in_the_app_and_by_e_mail(world, event):
    notify, argument, told = EVENTS[event]
    arguments = argument(world)
    notify.call(*(arguments if isinstance(arguments, tuple) else (arguments,)))
    expected = {role for role, user in world.users.items() if user is not None and told(Access(user), world)}
    in_app = {role for role, user in world.users.items() if Notification.objects.filter(user=user).exists()}
    by_e_mail = {role for role, user in world.users.items() if user and any(user.email in m.to for m in mail.outbox)}
    assert expected, "the event tells somebody"
    assert in_app == by_e_mail == expected
    assert Notification.objects.count() == len(expected)
    assert {n.link for n in Notification.objects.all()} <= {
        reverse("dossier_detail", args=[world.dossier.pk]),
        *[reverse("joint_opinion", args=[j.uuid]) for j in JointOpinion.objects.all()],
    }


def test_preferences_are_honoured_and_the_digest_sends_what_is_left(world):
    users = world.users
    Preference.objects.create(user=users["member"], delivery=Preference.Delivery.DIGEST)
    Preference.objects.create(user=users["member_in_conflict"], delivery=Preference.Delivery.NONE)
    Preference.objects.create(user=users["instructor"], delivery=Preference.Delivery.NONE)
    notifications.notify_dossier_submitted.call(world.dossier.pk)
    notifications.notify_dossier_submitted.call(world.other_dossier.pk)
    # Everyone is told in the application; only who wants it at once gets an e-mail now.
    assert Notification.objects.filter(user=users["member"]).count() == 2
    assert Notification.objects.filter(user=users["member_in_conflict"]).count() == 2
    assert mail.outbox == []
    call_command("schedule", "--now", stdout=StringIO())
    assert [m.to for m in mail.outbox] == [[users["member"].email]]
    assert mail.outbox[0].body.startswith("2 événements depuis votre dernier récapitulatif")
    # Once a day: a run later the same day sends nothing, even for what happened since; the next day's sends it.
    today = timezone.localdate()
    notifications.notify_dossier_submitted.call(world.dossier.pk)
    assert notifications.send_digests(today) == 0
    assert len(mail.outbox) == 1
    assert notifications.send_digests(today + timedelta(days=1)) == 1
    assert mail.outbox[1].body.startswith("1 événement depuis")


def test_a_user_who_wants_e_mails_at_once_is_not_sent_them_again_in_a_digest(world):
    member_ = world.users["member"]
    notifications.notify_dossier_submitted.call(world.dossier.pk)
    assert member_.email in {address for m in mail.outbox for address in m.to}
    Preference.objects.create(user=member_, delivery=Preference.Delivery.DIGEST)
    assert notifications.send_digests(timezone.localdate()) == 0


def test_the_header_counts_the_unread_and_items_are_marked_read(world, login):
    landlord = world.users["landlord"]
    client = login(landlord)
    assert 'data-unread="0"' in text(client.get(reverse("notification_list")))
    notifications.notify_dossier_returned.call(_returned(world))
    notifications.notify_decisions.call(_decided(world))
    page = text(client.get(reverse("notification_list")))
    assert 'data-unread="2"' in page
    assert "Dossier à compléter" in page and "Budget ?" in page
    first = Notification.objects.filter(user=landlord).first()
    response = client.post(reverse("notification_read", args=[first.pk]))
    assert response.status_code == 302
    assert 'data-unread="1"' in text(client.get(reverse("home")))
    client.post(reverse("notification_read_all"))
    assert not Notification.objects.filter(user=landlord, read_at=None).exists()


def test_another_users_notification_is_left_alone(world, login):
    notifications.notify_dossier_submitted.call(world.dossier.pk)
    theirs = Notification.objects.filter(user=world.users["member"]).get()
    response = login(world.users["landlord"]).post(reverse("notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "Dossier déposé" not in text(login(world.users["landlord"]).get(reverse("notification_list")))


def test_preferences_are_saved_and_a_bad_choice_is_refused_in_french(world, login):
    client = login(world.users["observer"])
    response = client.post(reverse("preference_edit"), {"delivery": "hebdomadaire"})
    assert response.status_code == 400
    assert "Choisissez l'une des options proposées." in text(response)
    assert not Preference.objects.exists()
    response = client.post(reverse("preference_edit"), {"delivery": Preference.Delivery.NONE}, follow=True)
    assert "Vos préférences sont enregistrées." in text(response)
    assert Preference.objects.get(user=world.users["observer"]).delivery == Preference.Delivery.NONE
