"""The thread with the landlord, the committee's notes and the experts' advice, on dossier A, for every role.

Each table says, for one URL, what each role gets: DONE (the action is carried out, then a redirect),
LOGIN (anonymous: redirected to the login page), 200, or the status of the refusal (403, 404).
"""

from collections.abc import Callable
from typing import NamedTuple

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Attachment, ExpertRequest, Membership, Message, Note, Organisation
from core.services.exchanges import expert_advise, expert_request, message_post, note_add
from core.workflow import ActionRefused
from tests import access
from tests.access import A_DRAFT, A_TITLE, B_TITLE, DONE, LOGIN, check_redirect, text
from tests.factories import OrganisationFactory, UserFactory, member

# Whom a message is sent for, as the thread labels it: its author talks for the landlord or for the committee.
AS_LANDLORD, AS_COMMITTEE = "porteur", "comité"

MESSAGE = "Pouvez-vous préciser le calendrier ?"
LANDLORD_MESSAGE = "Le calendrier détaillé est joint."
COMMITTEE_MESSAGE = "Merci, le comité en prend note."
ATTACHMENT_NAME = "calendrier.pdf"
NOTE = "Entre nous : le partenaire opérateur paraît fragile."
QUESTION = "Le volet d'accompagnement vers le logement vous paraît-il réaliste ?"
ADVICE = "Réaliste, à condition de doubler les heures d'accompagnement."

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
# A Windows executable renamed to look like a PDF.
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48

# What the dossier page may show: the thread (messages and their attachment), then what only the committee reads.
THREAD = {LANDLORD_MESSAGE, COMMITTEE_MESSAGE, ATTACHMENT_NAME}
ADVICE_SENT = {QUESTION, ADVICE}
COMMITTEE_ONLY = {NOTE, *ADVICE_SENT, A_DRAFT}
SECRETS = THREAD | COMMITTEE_ONLY


def check_refusal(response, expected) -> None:
    """Nothing of dossier A or its exchanges in a refusal."""
    access.check_refusal(response, expected, (A_TITLE, B_TITLE, *SECRETS))


def dossier_url(dossier, anchor: str = "") -> str:
    return reverse("dossier_detail", args=[dossier.pk]) + (f"#{anchor}" if anchor else "")


def exchanges_url(dossier, anchor: str = "") -> str:
    """The dossier's exchanges, a part of its page read on demand, where their forms lead back."""
    return reverse("dossier_exchanges", args=[dossier.pk]) + (f"#{anchor}" if anchor else "")


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile(ATTACHMENT_NAME, PDF, content_type="application/pdf")


def notified(cast) -> set[str]:
    """The roles e-mailed so far."""
    roles = {user.email: role for role, user in cast.users.items() if user is not None}
    return {roles[address] for email in mail.outbox for address in email.to}


@pytest.fixture
def cast(cast):
    """The shared cast, with two invited experts of a foundation (asked nothing yet), everyone with an address."""
    foundation = OrganisationFactory(name="Fondation pour le logement", kind=Organisation.Kind.OTHER)
    for username, first_name in (("expert", "Claire"), ("other_expert", "Paul")):
        expert = UserFactory(username=username, first_name=first_name, last_name="Expert")
        cast.users[username] = member(expert, foundation, Membership.Role.EXPERT)
    for user in cast.users.values():
        if user is not None:
            user.email = f"{user.username}@example.org"
            user.save(update_fields=["email"])
    return cast


@pytest.fixture
def asked(cast) -> ExpertRequest:
    """The member has asked the expert for advice on dossier A; no answer yet."""
    return expert_request(dossier=cast.dossier, expert=cast.users["expert"], question=QUESTION, by=cast.users["member"])


@pytest.fixture
def exchanges(cast, asked):
    """On dossier A: the landlord's message with a PDF, the committee's answer, a note and the expert's advice."""
    users = cast.users
    message_post(dossier=cast.dossier, by=users["landlord"], body=LANDLORD_MESSAGE, upload=pdf())
    message_post(dossier=cast.dossier, by=users["member"], body=COMMITTEE_MESSAGE)
    note_add(dossier=cast.dossier, by=users["member"], body=NOTE)
    expert_advise(request=asked, by=users["expert"], advice=ADVICE)
    return cast


# role -> what a POST of a message on dossier A gets; the expert has been asked for advice on it
MESSAGE_POST = {
    "anonymous": LOGIN,
    "landlord": AS_LANDLORD,
    "other_landlord": 404,
    "member": AS_COMMITTEE,
    # Works for landlord A: writes for the landlord, the conflict barring them from the committee's side.
    "member_in_conflict": AS_LANDLORD,
    "other_committee_member": 404,
    "secretariat": 403,
    "observer": 403,
    "other_committee_observer": 404,
    "expert": 403,
    "other_expert": 404,
}


@pytest.mark.parametrize("role", MESSAGE_POST)
def test_message_post(cast, asked, login, role):
    expected, user = MESSAGE_POST[role], cast.users[role]
    response = login(user).post(reverse("message_new", args=[cast.dossier.pk]), {"body": MESSAGE})
    if expected in (AS_LANDLORD, AS_COMMITTEE):
        check_redirect(response, exchanges_url(cast.dossier, "echanges"))
        stored = Message.objects.values_list("dossier", "author", "from_committee", "body")
        assert list(stored) == [(cast.dossier.pk, user.pk, expected == AS_COMMITTEE, MESSAGE)]
    else:
        check_refusal(response, expected)
        assert not Message.objects.exists()


def test_a_message_carries_its_attachment(cast, login):
    client = login(cast.users["landlord"])
    response = client.post(
        reverse("message_new", args=[cast.dossier.pk]), {"body": LANDLORD_MESSAGE, "file": pdf()}, follow=True
    )
    assert "Message envoyé." in text(response)
    message = Message.objects.get()
    attachment = message.attachments.get()
    assert (attachment.dossier, attachment.name, attachment.kind, attachment.size, attachment.uploaded_by) == (
        cast.dossier,
        ATTACHMENT_NAME,
        Attachment.Kind.PDF,
        len(PDF),
        cast.users["landlord"],
    )
    # The thread links it; the dossier's own attachments do not list it.
    link = reverse("attachment_download", args=[attachment.uuid])
    assert text(response).count(f'href="{link}"') == 1
    assert f'href="{link}"' not in text(client.get(dossier_url(cast.dossier)))
    assert b"".join(client.get(link).streaming_content) == PDF


# case -> the POST data (made afresh: an upload is read once), and the French message that refuses it
MESSAGE_REFUSALS = {
    "empty": (lambda: {"body": " \n "}, "Le message est vide."),
    "a file without a word": (lambda: {"body": "", "file": pdf()}, "Le message est vide."),
    "a renamed executable": (
        lambda: {"body": LANDLORD_MESSAGE, "file": SimpleUploadedFile("rapport.pdf", EXECUTABLE)},
        "« rapport.pdf » n'est pas un document PDF, Word (DOCX), Excel (XLSX) ou OpenDocument (ODT) : "
        "seuls ces formats sont acceptés, vérifiés d'après leur contenu.",
    ),
}


@pytest.mark.parametrize("case", MESSAGE_REFUSALS)
def test_refused_message_stores_nothing(cast, login, django_capture_on_commit_callbacks, case):
    data, refusal = MESSAGE_REFUSALS[case]
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.users["landlord"]).post(
            reverse("message_new", args=[cast.dossier.pk]), data(), follow=True
        )
    assert response.redirect_chain == [(exchanges_url(cast.dossier, "echanges"), 302)]
    assert refusal in text(response)
    assert "Message envoyé." not in text(response)
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert mail.outbox == []


def message_by(role: str):
    def post(cast, login):
        login(cast.users[role]).post(reverse("message_new", args=[cast.dossier.pk]), {"body": MESSAGE})

    return post


def advice_given(cast, login):
    request = ExpertRequest.objects.get(expert=cast.users["expert"])
    login(cast.users["expert"]).post(reverse("expert_advice", args=[request.pk]), {"advice": ADVICE})


# event -> what makes it happen, the subject of its e-mails and the roles they go to (never the author)
NOTIFIED = {
    "message from the committee": (message_by("member"), "Nouveau message", {"landlord", "member_in_conflict"}),
    # Not to the member in conflict, whom the thread page refuses.
    "message from the landlord": (message_by("landlord"), "Nouveau message", {"member"}),
    "message from the member in conflict, for the landlord": (
        message_by("member_in_conflict"),
        "Nouveau message",
        {"member"},
    ),
    # The advice is for the committee members who may read it: not those in conflict.
    "advice given": (advice_given, "Avis d'expert rendu", {"member"}),
}


@pytest.mark.parametrize("event", NOTIFIED)
def test_notifications(cast, asked, login, django_capture_on_commit_callbacks, event):
    happen, subject, recipients = NOTIFIED[event]
    with django_capture_on_commit_callbacks(execute=True):
        happen(cast, login)
    assert notified(cast) == recipients
    assert {email.subject for email in mail.outbox} == {f"{subject} — N°{cast.dossier.number} « {A_TITLE} »"}


class CommitteeAction(NamedTuple):
    url: str
    anchor: str
    text: str
    data: Callable  # cast -> the POST data
    stored: Callable  # cast -> what the action stored, as (author, text) pairs


# Only members of the committee not in conflict act; the expert asked about dossier A is asked nothing more.
COMMITTEE_ACTIONS = {
    "note": CommitteeAction(
        "note_new",
        "notes",
        NOTE,
        lambda cast: {"body": NOTE},
        lambda cast: [(note.author, note.body) for note in Note.objects.filter(dossier=cast.dossier)],
    ),
    "expert request": CommitteeAction(
        "expert_request_new",
        "experts",
        QUESTION,
        lambda cast: {"expert": cast.users["other_expert"].pk, "question": QUESTION},
        lambda cast: [
            (request.requested_by, request.question)
            for request in ExpertRequest.objects.filter(dossier=cast.dossier, expert=cast.users["other_expert"])
        ],
    ),
}

# role -> what a POST of a committee note, or of a request for an expert's advice, on dossier A gets
COMMITTEE_ACTION = {
    "anonymous": LOGIN,
    "landlord": 403,
    "other_landlord": 404,
    "member": DONE,
    "member_in_conflict": 403,
    "other_committee_member": 404,
    "secretariat": 403,
    "observer": 403,
    "other_committee_observer": 404,
    "expert": 403,
    "other_expert": 404,
}


@pytest.mark.parametrize("action", COMMITTEE_ACTIONS)
@pytest.mark.parametrize("role", COMMITTEE_ACTION)
def test_committee_action(cast, asked, login, role, action):
    expected, user, act = COMMITTEE_ACTION[role], cast.users[role], COMMITTEE_ACTIONS[action]
    response = login(user).post(reverse(act.url, args=[cast.dossier.pk]), act.data(cast))
    if expected == DONE:
        check_redirect(response, exchanges_url(cast.dossier, act.anchor))
        assert act.stored(cast) == [(user, act.text)]
    else:
        check_refusal(response, expected)
        assert act.stored(cast) == []


# case -> the expert asked (the expert has already been asked about dossier A), and the French refusal
EXPERT_REQUEST_REFUSALS = {
    "the same expert twice": ("expert", QUESTION, "Un avis a déjà été demandé à Claire Expert sur ce dossier."),
    "a user who is not an expert": (
        "observer",
        QUESTION,
        "Sélectionnez un choix valide. Ce choix ne fait pas partie de ceux disponibles.",
    ),
    "no question": ("other_expert", " ", "Posez votre question à l'expert."),
}


@pytest.mark.parametrize("case", EXPERT_REQUEST_REFUSALS)
def test_refused_expert_request(cast, asked, login, django_capture_on_commit_callbacks, case):
    expert, question, refusal = EXPERT_REQUEST_REFUSALS[case]
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.users["member"]).post(
            reverse("expert_request_new", args=[cast.dossier.pk]),
            {"expert": cast.users[expert].pk, "question": question},
            follow=True,
        )
    assert response.redirect_chain == [(exchanges_url(cast.dossier, "experts"), 302)]
    assert refusal in text(response)
    assert list(ExpertRequest.objects.all()) == [asked]
    assert mail.outbox == []


def statuses(client, cast) -> dict[str, int]:
    return {
        title: client.get(dossier_url(dossier)).status_code
        for title, dossier in ((A_TITLE, cast.dossier), (B_TITLE, cast.other_dossier))
    }


def test_an_expert_sees_only_the_dossier_asked_about_and_answers(cast, login, django_capture_on_commit_callbacks):
    expert = cast.users["expert"]
    assert statuses(login(expert), cast) == {A_TITLE: 404, B_TITLE: 404}

    with django_capture_on_commit_callbacks(execute=True):
        login(cast.users["member"]).post(
            reverse("expert_request_new", args=[cast.dossier.pk]), {"expert": expert.pk, "question": QUESTION}
        )
    request = ExpertRequest.objects.get()
    assert (request.dossier, request.expert, request.requested_by) == (cast.dossier, expert, cast.users["member"])
    assert notified(cast) == {"expert"}
    (email,) = mail.outbox
    assert email.subject == f"Avis consultatif demandé — N°{cast.dossier.number} « {A_TITLE} »"
    assert QUESTION in email.body

    assert statuses(login(expert), cast) == {A_TITLE: 200, B_TITLE: 404}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(expert).post(reverse("expert_advice", args=[request.pk]), {"advice": ADVICE}, follow=True)
    assert response.redirect_chain == [(exchanges_url(cast.dossier, "experts"), 302)]
    assert "Avis transmis au comité." in text(response)
    request.refresh_from_db()
    assert request.advice == ADVICE
    assert request.answered_at is not None
    # Exactly who: see test_notifications.
    assert "member" in notified(cast)


# role -> what a POST of advice on the request made to the expert gets
ADVICE_POST = {
    "anonymous": LOGIN,
    "landlord": 404,
    "other_landlord": 404,
    "member": 404,
    "member_in_conflict": 404,
    "other_committee_member": 404,
    "secretariat": 404,
    "observer": 404,
    "other_committee_observer": 404,
    "expert": DONE,
    "other_expert": 404,
}


@pytest.mark.parametrize("role", ADVICE_POST)
def test_advice_post(cast, asked, login, role):
    expected = ADVICE_POST[role]
    response = login(cast.users[role]).post(reverse("expert_advice", args=[asked.pk]), {"advice": ADVICE})
    asked.refresh_from_db()
    if expected == DONE:
        check_redirect(response, exchanges_url(cast.dossier, "experts"))
        assert (asked.advice, asked.answered_at is not None) == (ADVICE, True)
    else:
        check_refusal(response, expected)
        assert (asked.advice, asked.answered_at) == ("", None)


# role -> status of dossier A's page and of its exchanges (read on demand) once exchanges have taken place, and which
# of them the two show
PAGE = {
    "anonymous": (LOGIN, LOGIN, set()),
    "landlord": (200, 200, THREAD),
    "other_landlord": (404, 404, set()),
    "member": (200, 200, THREAD | COMMITTEE_ONLY),
    # Talks for the landlord; in conflict, reads nothing of what the committee keeps to itself.
    "member_in_conflict": (200, 200, THREAD),
    "other_committee_member": (404, 404, set()),
    "secretariat": (200, 200, THREAD | COMMITTEE_ONLY),
    # Sees the dossier, reads none of its exchanges.
    "observer": (200, 404, set()),
    "other_committee_observer": (404, 404, set()),
    # Reads the question put to them and their own answer, nothing else.
    "expert": (200, 200, ADVICE_SENT),
    "other_expert": (404, 404, set()),
}


@pytest.mark.parametrize("role", PAGE)
def test_dossier_page(exchanges, login, role):
    page_status, exchanges_status, shown = PAGE[role]
    client = login(exchanges.users[role])
    body = ""
    for url, status in (
        (dossier_url(exchanges.dossier), page_status),
        (exchanges_url(exchanges.dossier), exchanges_status),
    ):
        response = client.get(url)
        if status != 200:
            check_refusal(response, status)
            continue
        assert response.status_code == 200
        assert A_TITLE in text(response)
        body += text(response)
    # The page itself shows none of the exchanges, whatever their number: only the link to them.
    if page_status == 200:
        assert not {
            secret for secret in SECRETS - {A_DRAFT} if secret in text(client.get(dossier_url(exchanges.dossier)))
        }
    assert {secret for secret in SECRETS if secret in body} == shown


# role -> what the download of the landlord's message attachment gets: those who read the thread, and no one else
DOWNLOAD = {
    "anonymous": LOGIN,
    "landlord": 200,
    "other_landlord": 404,
    "member": 200,
    "member_in_conflict": 200,
    "other_committee_member": 404,
    "secretariat": 200,
    # Both see dossier A, not its thread.
    "observer": 404,
    "other_committee_observer": 404,
    "expert": 404,
    "other_expert": 404,
}


@pytest.mark.parametrize("role", DOWNLOAD)
def test_message_attachment_download(exchanges, login, role):
    expected = DOWNLOAD[role]
    attachment = Attachment.objects.get(message__body=LANDLORD_MESSAGE)
    response = login(exchanges.users[role]).get(reverse("attachment_download", args=[attachment.uuid]))
    if expected == 200:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
    else:
        check_refusal(response, expected)


def test_advice_once_given_is_not_replaced(cast, asked):
    expert_advise(request=asked, by=cast.users["expert"], advice=ADVICE)
    with pytest.raises(ActionRefused, match="Rendu"):
        expert_advise(request=asked, by=cast.users["expert"], advice="Un autre avis")
    asked.refresh_from_db()
    assert asked.advice == ADVICE


def test_the_exchanges_link_shows_only_where_the_expert_has_been_asked(cast, login):
    """An expert who also observes the committee sees dossier A, but the exchanges hold nothing for them there
    until they are asked about it: no link to a page that would answer 404."""
    expert = cast.users["expert"]
    member(expert, OrganisationFactory(), Membership.Role.OBSERVER, cast.committee)
    client = login(expert)
    link = "Afficher les échanges sur le dossier"
    assert client.get(exchanges_url(cast.dossier)).status_code == 404
    assert link not in text(client.get(dossier_url(cast.dossier)))
    expert_request(dossier=cast.dossier, expert=expert, question=QUESTION, by=cast.users["member"])
    assert client.get(exchanges_url(cast.dossier)).status_code == 200
    assert link in text(client.get(dossier_url(cast.dossier)))
