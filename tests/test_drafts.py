"""The landlord's draft: creation, editing, attachments, submission, return and withdrawal."""

import html
import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import (
    OTHER_DOCUMENT,
    Attachment,
    BudgetLine,
    Call,
    Dossier,
    DossierStrand,
    Organisation,
    Public,
    Territory,
)
from core.services import dossiers
from core.services.dossiers import dossier_problems
from tests.office_files import docx, odt, xlsx

State = Dossier.State


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def open_call(cast):
    call = cast.committee.call
    call.status = Call.Status.OPEN
    call.cap_per_project = 200000
    call.max_duration_years = 3
    call.save()
    return call


@pytest.fixture
def draft(cast, open_call, login):
    response = login(cast.users["landlord"]).post(
        reverse("dossier_new"),
        {"committee": cast.committee.pk, "landlord": cast.dossier.lead_landlord_id, "title": "Nouveau projet"},
    )
    dossier = Dossier.objects.get(title="Nouveau projet")
    assert response["Location"] == reverse("dossier_edit", args=[dossier.pk])
    return dossier


def complete(dossier, households=(6, 6), amounts=(40000, 40000), duration=2):
    dossier.summary, dossier.evaluation_plan, dossier.duration_years = "Résumé", "Bilan annuel", duration
    dossier.households_total = 12
    dossier.save()
    dossier.publics.add(Public.objects.create(name="sortants de prison"))
    Territory.objects.create(dossier=dossier, department="13")
    for year, count in enumerate(households, 1):
        DossierStrand.objects.create(dossier=dossier, strand="acces", year=year, households=count)
    for year, amount in enumerate(amounts, 1):
        BudgetLine.objects.create(dossier=dossier, year=year, funder="fnavdl", amount=amount)


def test_new_draft_is_numbered_after_the_committee_and_hidden_from_it(cast, draft, login):
    assert draft.number == max(cast.dossier.number, cast.other_dossier.number) + 1
    assert draft.state == State.DRAFT
    assert draft.transitions.get().by == cast.users["landlord"]
    for role in ("member", "observer", "other_landlord"):
        assert login(cast.users[role]).get(reverse("dossier_detail", args=[draft.pk])).status_code == 404
    assert login(cast.users["secretariat"]).get(reverse("dossier_detail", args=[draft.pk])).status_code == 200


@pytest.mark.parametrize("role", ["member", "secretariat", "observer"])
def test_only_landlords_create_dossiers(cast, open_call, login, role):
    assert login(cast.users[role]).get(reverse("dossier_new")).status_code == 403


def test_create_refuses_a_closed_call(cast, login):
    from tests.factories import CommitteeFactory

    client = login(cast.users["landlord"])
    data = {"committee": cast.committee.pk, "landlord": cast.dossier.lead_landlord_id, "title": "Trop tard"}
    assert "Aucun appel à projets n'est ouvert" in text(client.post(reverse("dossier_new"), data))
    CommitteeFactory(call__status=Call.Status.OPEN)
    response = client.post(reverse("dossier_new"), data)
    assert response.status_code == 400
    assert "Ce comité n'accepte pas de dépôt." in text(response)
    assert not Dossier.objects.filter(title="Trop tard").exists()


def _edit_data(**extra):
    data = {
        "title": "Nouveau projet",
        "summary": "Accompagner",
        "duration_years": "2",
        "households_total": "12",
        "evaluation_plan": "Bilan",
        "new_partners": "SOLiHA Provence\nGCS Galilé\nsoliha provence",
        "renewal_note": "",
    }
    for prefix in ("strands", "territories", "budget"):
        data |= {f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0"}
    data |= {"strands-0-strand": "acces", "strands-0-year": "1", "strands-0-households": "12"}
    data |= {"territories-0-department": "13", "territories-0-commune": "Marseille", "territories-0-qpv": "on"}
    data |= {"budget-0-year": "1", "budget-0-funder": "fsi", "budget-0-amount": "50000"}
    return data | extra


def test_edit_saves_the_draft_and_its_lines(cast, draft, login):
    response = login(cast.users["landlord"]).post(reverse("dossier_edit", args=[draft.pk]), _edit_data())
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.summary == "Accompagner"
    assert sorted(p.name for p in draft.partners.all()) == ["GCS Galilé", "SOLiHA Provence"]
    assert draft.strands.get().households == 12
    assert draft.territories.get().qpv
    assert draft.requested == 50000


def test_a_bad_line_saves_nothing_and_says_why(cast, draft, login):
    response = login(cast.users["landlord"]).post(
        reverse("dossier_edit", args=[draft.pk]), _edit_data(**{"territories-0-department": "99", "summary": "Neuf"})
    )
    assert response.status_code == 400
    assert "« 99 » n'est pas un département : indiquez le nom ou le numéro d'un département" in text(response)
    draft.refresh_from_db()
    assert draft.summary == "" and not draft.strands.exists()


def test_a_draft_saves_whatever_the_call_allows_and_the_submission_says_what_is_wrong(cast, draft, login):
    """A duration over the call's maximum, an amount over its cap, households that do not make the total: the draft
    is saved; the edit page then lists, as the submission will, what to settle before submitting."""
    client = login(cast.users["landlord"])
    url = reverse("dossier_edit", args=[draft.pk])
    data = _edit_data(duration_years="5", households_total="20", **{"budget-0-amount": "250 000,50"})
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert (draft.duration_years, draft.households_total, draft.requested) == (5, 20, Decimal("250000.50"))
    page = text(client.get(url))
    assert "durée (5 ans) dépasse la durée maximale de l'appel (3 ans)" in page
    assert "(250\u202f000,50 €) dépasse le plafond par projet de l'appel (200\u202f000 €)" in page
    assert "Les ménages par volet et par année (12) ne font pas le total annoncé (20)" in page
    response = client.post(reverse("dossier_submit", args=[draft.pk]))
    assert response.status_code == 400 and "durée (5 ans) dépasse la durée maximale" in text(response)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget-0-amount", "abc", "Écrivez un montant en euros, par exemple 150 000,50."),
        ("budget-0-amount", "-5", "Un montant ne peut pas être négatif."),
        ("households_total", "douze", "Écrivez un nombre entier, par exemple 1 200."),
        ("strands-0-households", "6,5", "Écrivez un nombre entier, par exemple 1 200."),
    ],
)
def test_only_what_cannot_be_read_is_refused_on_its_field(cast, draft, login, field, value, message):
    client = login(cast.users["landlord"])
    response = client.post(reverse("dossier_edit", args=[draft.pk]), _edit_data(**{field: value}))
    assert response.status_code == 400
    assert message in text(response)
    draft.refresh_from_db()
    assert draft.summary == ""


def test_errors_are_summed_up_at_the_top_each_linked_to_its_field(cast, draft, login):
    data = _edit_data(households_total="douze", **{"budget-0-amount": "abc", "strands-0-year": ""})
    page = text(login(cast.users["landlord"]).post(reverse("dossier_edit", args=[draft.pk]), data))
    summary = page[page.index('id="erreurs"') : page.index("</div>", page.index('id="erreurs"'))]
    assert 'role="alert"' in page[page.index('<div class="fr-alert fr-alert--error') : page.index('id="erreurs"')]
    assert "3 erreurs à corriger" in summary
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [
        ("id_households_total", "Nombre total de ménages accompagnés : Écrivez un nombre entier, par exemple 1 200."),
        ("id_strands-0-year", "Année du projet, ligne 1 — Ménages accompagnés par volet et par année : "
                              "Ce champ est obligatoire."),
        ("id_budget-0-amount", "Montant (€), ligne 1 — Budget par année et par financeur : Écrivez un montant en "
                               "euros, par exemple 150 000,50."),
    ]  # fmt: skip
    for anchor, _ in links:
        assert f'id="{anchor}"' in page


def test_submission_lists_every_problem_at_once(cast, draft, open_call):
    complete(draft, households=(6, 5), amounts=(150000, 100000), duration=3)
    open_call.max_duration_years = 2
    open_call.save()
    problems = " | ".join(dossier_problems(Dossier.objects.get(pk=draft.pk)))
    assert "(11) ne font pas le total annoncé (12)" in problems
    assert "250\u202f000 €" in problems and "plafond" in problems
    assert "durée (3 ans) dépasse la durée maximale de l'appel (2 ans)" in problems


def test_submit_freezes_and_notifies_the_committee(cast, draft, login, django_capture_on_commit_callbacks):
    cast.users["member"].email = "membre@example.org"
    cast.users["member"].save()
    complete(draft)
    client = login(cast.users["landlord"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("dossier_submit", args=[draft.pk])).status_code == 302
    assert Dossier.objects.get(pk=draft.pk).state == State.SUBMITTED
    assert [m.to for m in mail.outbox] == [["membre@example.org"]]
    assert client.get(reverse("dossier_edit", args=[draft.pk])).status_code == 403


def test_submit_refused_shows_the_list_and_changes_nothing(cast, draft, login):
    response = login(cast.users["landlord"]).post(reverse("dossier_submit", args=[draft.pk]))
    assert response.status_code == 400
    assert "Le résumé du projet est vide." in text(response)
    assert Dossier.objects.get(pk=draft.pk).state == State.DRAFT


def test_no_submission_after_the_deadline(cast, draft, open_call):
    complete(draft)
    open_call.submission_deadline = timezone.now() - timedelta(hours=1)
    open_call.save()
    assert any("Les dépôts sont clos" in p for p in dossier_problems(Dossier.objects.get(pk=draft.pk)))


def test_returned_as_incomplete_then_completed(cast, draft, login, django_capture_on_commit_callbacks):
    cast.users["landlord"].email = "porteur@example.org"
    cast.users["landlord"].save()
    complete(draft)
    login(cast.users["landlord"]).post(reverse("dossier_submit", args=[draft.pk]))

    member = login(cast.users["member"])
    assert member.post(reverse("dossier_return", args=[draft.pk]), {"message": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        member.post(reverse("dossier_return", args=[draft.pk]), {"message": "Il manque le budget signé."})
    assert Dossier.objects.get(pk=draft.pk).state == State.INCOMPLETE
    assert "Il manque le budget signé." in mail.outbox[-1].body
    assert mail.outbox[-1].to == ["porteur@example.org"]

    landlord = login(cast.users["landlord"])
    assert landlord.get(reverse("dossier_edit", args=[draft.pk])).status_code == 200
    landlord.post(reverse("dossier_submit", args=[draft.pk]))
    assert Dossier.objects.get(pk=draft.pk).state == State.SUBMITTED


def test_withdraw_needs_confirmation_and_is_refused_after_the_decision(cast, draft, login):
    client = login(cast.users["landlord"])
    client.post(reverse("dossier_withdraw", args=[draft.pk]))
    assert Dossier.objects.get(pk=draft.pk).state == State.DRAFT
    client.post(reverse("dossier_withdraw", args=[draft.pk]), {"confirm": "1"})
    assert Dossier.objects.get(pk=draft.pk).state == State.WITHDRAWN

    Dossier.objects.filter(pk=cast.dossier.pk).update(state=State.RETAINED)
    response = client.post(reverse("dossier_withdraw", args=[cast.dossier.pk]), {"confirm": "1"})
    assert response.status_code == 403
    assert "« Retirer le dossier » n'est pas possible : Dossier « Retenu »" in text(response)
    assert Dossier.objects.get(pk=cast.dossier.pk).state == State.RETAINED


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


UPLOADS = {
    "budget.pdf": (b"%PDF-1.7\n" + b"0" * 100, "pdf"),
    "note.docx": (docx(), "docx"),
    "tableau.xlsx": (xlsx(), "xlsx"),
    "lettre.odt": (odt(), "odt"),
    "programme.pdf.exe": (b"MZ\x90\x00" + b"\x00" * 100, None),
    "faux.pdf": (b"MZ\x90\x00" + b"\x00" * 100, None),
    "archive.docx": (_zip({"readme.txt": b"rien"}), None),
    "bombe.docx": (_zip({"word/document.xml": b"0" * (30 * 1024 * 1024)}), None),
    "gros.pdf": (b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024), None),
}


@pytest.mark.parametrize("name", UPLOADS)
def test_attachments_are_recognised_by_content(cast, draft, login, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content, kind = UPLOADS[name]
    client = login(cast.users["landlord"])
    response = client.post(
        reverse("attachment_upload", args=[draft.pk]),
        {"file": SimpleUploadedFile(name, content), "document_type": OTHER_DOCUMENT},
        follow=True,
    )
    assert response.status_code == 200
    attachment = Attachment.objects.filter(dossier=draft).first()
    if kind is None:
        assert attachment is None
        assert any(word in text(response) for word in ("n'est pas un document", "dépasse 20 Mo", "volume anormal"))
    else:
        assert attachment.kind == kind and attachment.name == name
        download = client.get(reverse("attachment_download", args=[attachment.uuid]))
        assert b"".join(download.streaming_content) == content


def test_attachments_are_read_only_by_who_sees_the_dossier(cast, draft, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    complete(draft)
    client = login(cast.users["landlord"])
    upload = {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 x"), "document_type": OTHER_DOCUMENT}
    client.post(reverse("attachment_upload", args=[draft.pk]), upload)
    client.post(reverse("dossier_submit", args=[draft.pk]))
    url = reverse("attachment_download", args=[Attachment.objects.get().uuid])
    expected = {
        "landlord": 200,
        "member": 200,
        "secretariat": 200,
        "other_landlord": 404,
        "other_committee_member": 404,
        "anonymous": 302,
    }
    assert {role: login(cast.users[role]).get(url).status_code for role in expected} == expected
    assert (
        login(cast.users["member"])
        .post(
            reverse("attachment_upload", args=[draft.pk]),
            {"file": SimpleUploadedFile("b.pdf", b"%PDF-1.4 y"), "document_type": OTHER_DOCUMENT},
        )
        .status_code
        == 403
    )


def test_the_same_new_line_posted_twice_is_refused_in_the_form(cast, draft, login, monkeypatch):
    """The page posted twice (a double click, the back button): its new household line is new again. One post
    after the other, the form finds the line saved by the first; both at once, each form is validated before
    either saves (here: the other request saves its line while this one waits for the dossier's lock), and the
    database's constraint refuses the second. Either way a French error, and nothing of the second post saved."""
    client = login(cast.users["landlord"])
    url = reverse("dossier_edit", args=[draft.pk])
    assert client.post(url, _edit_data(new_partners="")).status_code == 302
    response = client.post(url, _edit_data(new_partners="", summary="Deuxième envoi"))
    assert response.status_code == 400
    assert "année 1 » est déjà enregistrée (la page a sans doute été envoyée deux fois)" in text(response)

    DossierStrand.objects.all().delete()
    waits_for_the_other = dossiers.locked

    def locked(dossier):
        DossierStrand.objects.create(dossier=dossier, strand="acces", year=1, households=12)
        return waits_for_the_other(dossier)

    monkeypatch.setattr(dossiers, "locked", locked)
    response = client.post(url, _edit_data(summary="Envoi simultané", new_partners="Nouvel organisme"))
    assert response.status_code == 400
    assert "Ce brouillon a été enregistré entre-temps" in text(response)
    draft.refresh_from_db()
    assert draft.summary == "Accompagner"
    assert not Organisation.objects.filter(name="Nouvel organisme").exists()


def test_a_new_partners_name_too_long_is_refused_in_the_form(cast, draft, login):
    response = login(cast.users["landlord"]).post(
        reverse("dossier_edit", args=[draft.pk]), _edit_data(new_partners=f"Association\n{'x' * 256}")
    )
    assert response.status_code == 400
    assert "Un nom d'organisme fait au plus 255 caractères" in text(response)
    assert not Organisation.objects.filter(name="Association").exists()


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_line_is_added_in_place_numbered_after_the_table(cast, draft, login):
    BudgetLine.objects.create(dossier=draft, year=1, funder="fnavdl", amount=1000)
    client = login(cast.users["landlord"])
    url = reverse("dossier_line_add", args=[draft.pk, "budget"])
    page = text(client.get(url, {"budget-TOTAL_FORMS": "2"}, **HTMX))
    assert page.lstrip().startswith("<tr>")
    assert re.search(r'<input type="number" name="budget-2-year"[^>]* autofocus', page)
    assert "Année du projet, ligne 3" in page
    assert re.search(r'<input type="hidden" name="budget-TOTAL_FORMS" value="3" id="id_budget-TOTAL_FORMS" '
                     r'hx-swap-oob="true">', page)  # fmt: skip
    # Never over a saved line, whatever the page sends; never past the table's last line.
    assert 'name="budget-1-year"' in text(client.get(url, {"budget-TOTAL_FORMS": "0"}, **HTMX))
    refused = text(client.get(url, {"budget-TOTAL_FORMS": "60"}, **HTMX))
    assert "<tr" not in refused and "Un tableau a au plus 60 lignes" in refused
    assert client.get(reverse("dossier_line_add", args=[draft.pk, "partenaires"])).status_code == 404


def test_a_saved_line_taken_off_is_deleted_with_the_draft_and_a_new_one_goes(cast, draft, login):
    line = BudgetLine.objects.create(dossier=draft, year=1, funder="fnavdl", amount=1000)
    client = login(cast.users["landlord"])
    row = {"budget-0-id": line.pk, "budget-0-dossier": draft.pk, "budget-0-year": "1", "budget-0-amount": "1 000"}
    page = text(client.get(reverse("dossier_line_remove", args=[draft.pk, "budget", 0]), row, **HTMX))
    assert page.lstrip().startswith("<tr hidden>")
    assert f'name="budget-0-id" value="{line.pk}"' in page and 'name="budget-0-DELETE" value="on"' in page
    assert "Ligne 1 retirée : elle sera supprimée à l'enregistrement du brouillon." in page
    assert re.search(r'id="budget-add"[^>]* hx-swap-oob="true" autofocus', page)
    # A line not saved (another dossier's id is none of this one's): nothing in its place.
    other = BudgetLine.objects.create(dossier=cast.dossier, year=1, funder="fnavdl", amount=5)
    url = reverse("dossier_line_remove", args=[draft.pk, "budget", 1])
    page = text(client.get(url, {"budget-1-id": other.pk, "budget-TOTAL_FORMS": "3"}))
    assert "<tr" not in page and "Ligne 2 retirée." in page and 'name="budget-TOTAL_FORMS"' not in page
    # The table's last line: its count goes back to it.
    page = text(client.get(url, {"budget-TOTAL_FORMS": "2"}))
    assert re.search(r'name="budget-TOTAL_FORMS" value="1" id="id_budget-TOTAL_FORMS" hx-swap-oob="true"', page)

    kept = {"budget-0-id": line.pk, "budget-0-dossier": draft.pk, "budget-0-year": "1", "budget-0-DELETE": "on"}
    new = {"budget-1-year": "2", "budget-1-funder": "fsi", "budget-1-label": "Deuxième année",
           "budget-1-amount": "150 000,50"}  # fmt: skip
    # The line taken off has lost its funder and amount: it need not be valid.
    data = _edit_data(**{"budget-TOTAL_FORMS": "2", "budget-INITIAL_FORMS": "1", **kept, **new})
    del data["budget-0-amount"]
    assert client.post(reverse("dossier_edit", args=[draft.pk]), data).status_code == 302
    assert list(draft.budget_lines.values_list("year", "label", "amount")) == [
        (2, "Deuxième année", Decimal("150000.50"))
    ]
    assert BudgetLine.objects.filter(pk=other.pk).exists()


def test_without_javascript_adding_a_line_saves_and_comes_back_to_the_table(cast, draft, login):
    client = login(cast.users["landlord"])
    response = client.post(reverse("dossier_edit", args=[draft.pk]), _edit_data(ajouter="budget"))
    assert response["Location"] == reverse("dossier_edit", args=[draft.pk]) + "#budget"
    page = text(client.get(response["Location"]))
    assert 'name="budget-1-year"' in page and 'name="budget-2-year"' not in page


def test_a_budget_lines_label_is_shown_wherever_the_line_is(cast, draft, login):
    client = login(cast.users["landlord"])
    data = _edit_data(**{"budget-0-label": "Travailleur social, mi-temps", "budget-0-amount": "150 000,50"})
    assert client.post(reverse("dossier_edit", args=[draft.pk]), data).status_code == 302
    page = text(client.get(reverse("dossier_detail", args=[draft.pk])))
    assert re.search(r"<td>FSI \(CGLLS\)</td><td>Travailleur social, mi-temps</td><td>150\u202f000,50 €</td>", page)
    history = text(client.get(reverse("dossier_history", args=[draft.pk])))
    assert "Année 1, FSI (CGLLS) « Travailleur social, mi-temps » : 150\u202f000,50 €" in history
    line = client.get(reverse("api-v1:dossier_detail", args=[draft.pk])).json()["budget_lines"][0]
    assert line["label"] == "Travailleur social, mi-temps"
