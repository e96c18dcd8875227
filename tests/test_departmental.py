"""The departmental pre-instruction: on a call that asks for it, the State service of each department a dossier
covers gives its opinion, which the regional committee reads before it signs its own.

The cast's call asks for it; dossier A covers the Bouches-du-Rhône (13), dossier B the Var (83). The instructor
pre-instructs the Bouches-du-Rhône for the cast's committee."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.models import (
    AuditEvent,
    Call,
    DepartmentalOpinion,
    Dossier,
    Invitation,
    Membership,
    Notification,
    Opinion,
    Organisation,
    Territory,
)
from core.permissions import Access
from core.services.departmental import departmental_opinion_give
from core.services.opinions import opinion_sign
from core.workflow import ActionRefused, allows, refusal
from core.workspace import todo_sections
from search.engine import search
from tests.access import A_DRAFT, A_TITLE, B_TITLE, text
from tests.factories import DossierFactory, OrganisationFactory, UserFactory, member

DRAFT_13 = "Brouillon dans les Bouches-du-Rhône"


@pytest.fixture
def pre(cast):
    Call.objects.filter(pk=cast.committee.call_id).update(departmental_preinstruction=True)
    Territory.objects.create(dossier=cast.dossier, department="13", commune="Marseille")
    Territory.objects.create(dossier=cast.other_dossier, department="83")
    DossierFactory(committee=cast.committee, title=DRAFT_13, state=Dossier.State.DRAFT).territories.create(
        department="13"
    )
    for dossier in (cast.dossier, cast.other_dossier):
        dossier.summary = "Accompagnement vers le logement."
        dossier.save()
    service = OrganisationFactory(name="DDETS 13", kind=Organisation.Kind.DEPARTMENTAL_SERVICE)
    cast.instructor = UserFactory(username="instructeur13")
    Membership.objects.create(
        user=cast.instructor,
        organisation=service,
        role=Membership.Role.DEPARTMENTAL_INSTRUCTOR,
        committee=cast.committee,
        department="13",
    )
    return cast


def give(cast, verdict="favorable", reasons="", dossier=None, department="13", by=None):
    return departmental_opinion_give(
        dossier=dossier or cast.dossier, department=department, verdict=verdict, reasons=reasons,
        by=by or cast.instructor,
    )  # fmt: skip


def test_the_instructor_reads_the_submitted_dossiers_of_their_department_alone(pre, client):
    client.force_login(pre.instructor)
    assert client.get(reverse("dossier_detail", args=[pre.dossier.pk])).status_code == 200
    assert client.get(reverse("dossier_detail", args=[pre.other_dossier.pk])).status_code == 404
    draft = Dossier.objects.get(title=DRAFT_13)
    assert client.get(reverse("dossier_detail", args=[draft.pk])).status_code == 404
    listed = text(client.get(reverse("dossier_list")))
    assert A_TITLE in listed and B_TITLE not in listed and DRAFT_13 not in listed
    assert {d.title for d in Access(pre.instructor).dossiers()} == {A_TITLE}
    assert {r.dossier.title for r in search(Access(pre.instructor), "logement", limit=100)[0]} == {A_TITLE}


def test_the_instructor_reads_no_draft_opinion_thread_nor_export(pre, client):
    client.force_login(pre.instructor)
    page = text(client.get(reverse("dossier_detail", args=[pre.dossier.pk])))
    assert A_DRAFT not in page
    assert client.get(reverse("dossier_exchanges", args=[pre.dossier.pk])).status_code in (403, 404)
    assert client.get(reverse("committee_detail", args=[pre.committee.pk])).status_code == 404
    export = client.post(reverse("committee_export", args=[pre.committee.uuid]), {"format": "xlsx"})
    assert export.status_code == 404


def test_the_api_lists_the_departments_dossiers_alone(pre, client):
    from api.tokens import token_create

    secret = token_create(user=pre.instructor, name="tests")[1]
    response = client.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {secret}"})
    assert {d["title"] for d in response.json()["items"]} == {A_TITLE}
    other = client.get(f"/api/v1/dossiers/{pre.other_dossier.pk}", headers={"Authorization": f"Bearer {secret}"})
    assert other.status_code == 404


def test_the_instructor_gives_then_changes_the_opinion(pre, client):
    client.force_login(pre.instructor)
    url = reverse("departmental_opinion_edit", args=[pre.dossier.pk, "13"])
    page = text(client.get(reverse("dossier_detail", args=[pre.dossier.pk])))
    assert "Avis des services départementaux" in page and "En attente" in page and url in page
    response = client.post(url, {"verdict": "reserve", "reasons": "Le relogement n'est pas assuré."})
    assert response.status_code == 302
    opinion = DepartmentalOpinion.objects.get(dossier=pre.dossier, department="13")
    assert (opinion.verdict, opinion.reasons, opinion.given_by) == ("reserve", "Le relogement n'est pas assuré.",
                                                                    pre.instructor)  # fmt: skip
    client.post(url, {"verdict": "favorable", "reasons": ""})
    opinion.refresh_from_db()
    assert opinion.verdict == "favorable"
    events = AuditEvent.objects.filter(action="departmental.give", dossier=pre.dossier).order_by("at", "pk")
    assert [e.after["verdict"] for e in events] == ["reserve", "favorable"]


@pytest.mark.parametrize("verdict", ["reserve", "defavorable"])
def test_reasons_are_required_unless_favorable(pre, client, verdict):
    client.force_login(pre.instructor)
    response = client.post(
        reverse("departmental_opinion_edit", args=[pre.dossier.pk, "13"]), {"verdict": verdict, "reasons": "  "}
    )
    assert response.status_code == 400
    assert "dit ses motifs" in text(response)
    assert not DepartmentalOpinion.objects.exists()
    with pytest.raises(ValidationError, match="dit ses motifs"):
        give(pre, verdict)
    missing = client.post(reverse("departmental_opinion_edit", args=[pre.dossier.pk, "13"]), {"reasons": "x"})
    assert missing.status_code == 400 and "Choisissez le sens de l'avis" in text(missing)


def test_the_database_holds_the_reasons_too(pre):
    with pytest.raises(IntegrityError), transaction.atomic():
        DepartmentalOpinion.objects.create(dossier=pre.dossier, department="13", verdict="defavorable",
                                           given_by=pre.instructor, given_at=pre.dossier.created_at)  # fmt: skip


def test_another_department_is_refused(pre, client):
    Territory.objects.create(dossier=pre.dossier, department="83")
    with pytest.raises(ActionRefused, match="Var"):
        give(pre, department="83")
    client.force_login(pre.instructor)
    assert client.get(reverse("departmental_opinion_edit", args=[pre.dossier.pk, "83"])).status_code == 403
    assert client.get(reverse("departmental_opinion_edit", args=[pre.other_dossier.pk, "83"])).status_code == 404


def test_refused_on_a_call_without_preinstruction(pre):
    Call.objects.filter(pk=pre.committee.call_id).update(departmental_preinstruction=False)
    dossier = Dossier.objects.select_related("call").get(pk=pre.dossier.pk)
    assert "ne prévoit pas de pré-instruction départementale" in refusal(
        Access(pre.instructor), "departmental.give", dossier
    )
    with pytest.raises(ActionRefused, match="pré-instruction"):
        give(pre)


def test_refused_once_the_committee_signed(pre, signatories):
    give(pre)
    for user in signatories.values():
        opinion_sign(dossier=pre.dossier, by=user)
    assert Dossier.objects.get(pk=pre.dossier.pk).state == Dossier.State.OPINION_SIGNED
    with pytest.raises(ActionRefused, match="signature de l'avis du comité"):
        give(pre, "defavorable", "Trop tard.")


def test_a_changed_opinion_clears_the_committees_signatures(
    pre, signatories, mailoutbox, django_capture_on_commit_callbacks
):
    give(pre)
    first, *_ = signatories.values()
    first.email = "signataire@example.org"
    first.save()
    opinion_sign(dossier=pre.dossier, by=first)
    give(pre)  # the same opinion again: nothing changed, the signature stands
    assert pre.dossier.opinion.signatures.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        give(pre, "reserve", "Un seul logement identifié.")
    opinion = Opinion.objects.get(dossier=pre.dossier)
    assert not opinion.signatures.exists()
    assert [c.signed_by for c in opinion.cleared_signatures.all()] == [first]
    [sent] = [m for m in mailoutbox if m.subject.startswith("Signature effacée")]
    assert "L'avis départemental de Bouches-du-Rhône (13)" in sent.body and first.email in sent.to


def test_the_committee_is_told_of_each_opinion_given_or_changed(pre, django_capture_on_commit_callbacks):
    told = Notification.objects.filter(subject__startswith="Avis départemental")
    with django_capture_on_commit_callbacks(execute=True):
        give(pre)
    assert {n.user for n in told.all()} == {pre.users["member"]}  # not the member in conflict
    with django_capture_on_commit_callbacks(execute=True):
        give(pre)  # the same again: nothing to tell
        give(pre, "defavorable", "Aucun logement identifié.")
    assert told.count() == 2 and "défavorable" in told.latest("pk").body


def test_only_the_instructor_gives_it(pre):
    for role in ("member", "secretariat", "landlord"):
        assert not allows(Access(pre.users[role]), "departmental.give", pre.dossier)
        with pytest.raises(ActionRefused, match="instructeur départemental"):
            give(pre, by=pre.users[role])


def test_the_committee_reads_the_opinions_before_signing(pre, client):
    give(pre, "defavorable", "Aucun logement identifié.")
    for role in ("member", "secretariat"):
        client.force_login(pre.users[role])
        page = text(client.get(reverse("dossier_detail", args=[pre.dossier.pk])))
        assert "Avis des services départementaux" in page
        assert "Bouches-du-Rhône (13)" in page and "Aucun logement identifié." in page
        assert reverse("departmental_opinion_edit", args=[pre.dossier.pk, "13"]) not in page
        other = text(client.get(reverse("dossier_detail", args=[pre.other_dossier.pk])))
        assert "Var (83)" in other and "En attente" in other
    # The member in conflict on A reads none of it, nor do the landlord and the observer.
    for role in ("member_in_conflict", "landlord", "observer"):
        client.force_login(pre.users[role])
        assert "Aucun logement identifié." not in text(client.get(reverse("dossier_detail", args=[pre.dossier.pk])))


def test_the_committee_signs_once_every_department_gave_its_opinion(pre, signatories):
    Territory.objects.create(dossier=pre.dossier, department="84")
    member = pre.users["member"]
    reason = refusal(Access(member), "opinion.sign", Dossier.objects.get(pk=pre.dossier.pk))
    assert reason.startswith("L'avis départemental manque encore pour : Bouches-du-Rhône (13), Vaucluse (84).")
    with pytest.raises(ActionRefused, match="Vaucluse"):
        opinion_sign(dossier=pre.dossier, by=member)
    give(pre)
    vaucluse = member_of_84(pre)
    give(pre, "reserve", "Un seul bailleur.", department="84", by=vaucluse)
    opinion_sign(dossier=pre.dossier, by=member)


def member_of_84(cast):
    user = UserFactory(username="instructeur84")
    service = OrganisationFactory(name="DDETS 84", kind=Organisation.Kind.DEPARTMENTAL_SERVICE)
    Membership.objects.create(user=user, organisation=service, role=Membership.Role.DEPARTMENTAL_INSTRUCTOR,
                              committee=cast.committee, department="84")  # fmt: skip
    return user


def test_without_preinstruction_the_committee_signs_as_before(pre, signatories):
    Call.objects.filter(pk=pre.committee.call_id).update(departmental_preinstruction=False)
    opinion_sign(dossier=pre.dossier, by=pre.users["member"])


def test_an_instructor_has_a_committee_and_a_department(pre):
    service = Organisation.objects.get(name="DDETS 13")
    for committee, department in ((None, "13"), (pre.committee, "")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.create(user=member(UserFactory(), service, Membership.Role.OBSERVER),
                                      organisation=service, role=Membership.Role.DEPARTMENTAL_INSTRUCTOR,
                                      committee=committee, department=department)  # fmt: skip


def test_the_secretariat_asks_for_it_in_the_calls_form(cast, client):
    client.force_login(cast.users["secretariat"])
    call = cast.committee.call
    values = {"title": call.title, "year": call.year, "max_duration_years": 3, "process": call.process}
    assert "Pré-instruction départementale" in text(client.get(reverse("call_edit", args=[call.pk])))
    client.post(reverse("call_edit", args=[call.pk]), values | {"departmental_preinstruction": "on"})
    call.refresh_from_db()
    assert call.departmental_preinstruction
    assert "data-preinstruction" in text(client.get(reverse("call_detail", args=[call.pk])))
    client.post(reverse("call_edit", args=[call.pk]), values)
    call.refresh_from_db()
    assert not call.departmental_preinstruction


def test_the_secretariat_invites_an_instructor_for_a_department(cast, client, django_capture_on_commit_callbacks):
    from django.core import mail

    from tests.test_invitations import accept, invite, link_in_last_mail

    service = OrganisationFactory(name="DDETS du Var", kind=Organisation.Kind.DEPARTMENTAL_SERVICE)
    client.force_login(cast.users["secretariat"])
    assert "Département" in text(client.get(reverse("invitation_new")))
    instructor = {"organisation": service.pk, "role": "instructeur_dep", "committee": cast.committee.pk}
    missing = invite(client, **instructor)
    assert missing.status_code == 400 and "Choisissez le comité et le département" in text(missing)
    elsewhere = invite(client, **instructor | {"organisation": cast.committee.institutions[1].pk, "department": "Var"})
    assert "n'est pas un service départemental de l'État" in text(elsewhere)
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(client, **instructor, department="Var").status_code == 302
    assert "Var (83)" in mail.outbox[-1].body
    client.logout()
    accept(client, link_in_last_mail())
    membership = Membership.objects.get(role=Membership.Role.DEPARTMENTAL_INSTRUCTOR)
    assert (membership.organisation, membership.committee, membership.department) == (service, cast.committee, "83")


def test_a_co_chair_invites_the_committees_instructors(pre, client, django_capture_on_commit_callbacks):
    from tests.test_invitations import invite

    service = OrganisationFactory(name="DDETS du Var", kind=Organisation.Kind.DEPARTMENTAL_SERVICE)
    instructor = {"organisation": service.pk, "role": "instructeur_dep", "committee": pre.committee.pk,
                  "department": "83"}  # fmt: skip
    client.force_login(pre.users["member"])
    page = text(client.get(reverse("committee_detail", args=[pre.committee.pk])))
    assert "Inviter un instructeur départemental" in page
    form = text(client.get(reverse("invitation_new") + f"?comite={pre.committee.pk}&role=instructeur_dep"))
    assert "Instructeur départemental" in form and "Porteur de projet" not in form
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, **instructor)
    assert response.status_code == 302 and response["Location"] == reverse("committee_detail", args=[pre.committee.pk])
    assert Invitation.objects.get().department == "83"
    # As a member only: not for another role, nor for a committee it does not co-chair.
    assert invite(client, **instructor | {"role": "membre_comite"}).status_code == 400
    client.force_login(pre.users["other_committee_member"])
    assert invite(client, **instructor, email="autre@example.fr").status_code == 400
    for role in ("landlord", "observer"):
        client.force_login(pre.users[role])
        assert "Inviter un instructeur départemental" not in text(
            client.get(reverse("committee_detail", args=[pre.committee.pk]))
        )
    assert Invitation.objects.count() == 1


def test_the_instructors_list_puts_the_opinions_given_after_those_awaited(pre, client):
    """Both stay listed while they may change; the one given comes after, marked as such."""
    awaited = DossierFactory(committee=pre.committee, title="Pension de famille", state=pre.dossier.state)
    awaited.territories.create(department="13")
    give(pre)
    [section] = [s for s in todo_sections(Access(pre.instructor)) if s.todo.action == "departmental.give"]
    assert [(row.pk, row.given) for row in section.items] == [(awaited.pk, False), (pre.dossier.pk, True)]
    client.force_login(pre.instructor)
    page = text(client.get(reverse("home")))
    assert page.count("Avis donné : modifiable jusqu'à la signature du comité") == 1
    assert page.index("Pension de famille") < page.index(A_TITLE)
