"""Writing, signing and publishing the committee's opinions."""

import html

import pytest
from django.core import mail
from django.urls import reverse

from core.models import BudgetLine, Dossier, JointOpinion, Opinion, StateTransition
from core.permissions import Access
from core.services.dossiers import dossier_return_incomplete
from core.services.joint_opinions import (
    PublicationRefused,
    committee_snapshot,
    joint_opinion_publish,
    publication_checks,
    snapshot_digest,
)
from core.services.opinions import OpinionConflict, opinion_save, opinion_sign
from core.workflow import ActionRefused
from core.workspace import todo_sections

VALUES = {
    "verdict": "reserve",
    "questions": "Pourquoi ?",
    "remarks": "Un projet utile.",
    "retained": True,
    "rank": "P2",
}


def save(dossier, by, revision, **changes):
    return opinion_save(dossier=dossier, by=by, expected_revision=revision, **{**VALUES, **changes})


def sign_both(signatories, dossier):
    for signer in signatories.values():
        opinion_sign(dossier=dossier, by=signer)


def test_a_stale_save_is_refused_and_shows_what_was_saved(cast):
    member = cast.users["member"]
    revision = cast.dossier.opinion.revision
    save(cast.dossier, member, revision, remarks="Première version")
    with pytest.raises(OpinionConflict) as conflict:
        save(cast.dossier, member, revision, remarks="Écrasement silencieux")
    assert conflict.value.current.remarks == "Première version"
    assert Opinion.objects.get(dossier=cast.dossier).remarks == "Première version"


def test_first_opinion_starts_from_revision_zero(cast):
    cast.other_dossier.opinion.delete()
    opinion = save(cast.other_dossier, cast.users["member"], 0)
    assert opinion.revision == 1
    with pytest.raises(OpinionConflict):
        save(cast.other_dossier, cast.users["member"], 0)


def test_saving_the_same_text_writes_nothing(cast):
    opinion = save(cast.dossier, cast.users["member"], cast.dossier.opinion.revision)
    rows = opinion.history.count()
    again = save(cast.dossier, cast.users["member"], opinion.revision)
    assert (again.revision, again.history.count()) == (opinion.revision, rows)


def test_not_retained_has_no_rank(cast):
    opinion = save(cast.dossier, cast.users["member"], cast.dossier.opinion.revision, retained=False)
    assert opinion.rank == ""


def test_both_institutions_sign_then_a_change_clears_the_signatures(cast, signatories):
    member = cast.users["member"]
    sign_both(signatories, cast.dossier)
    dossier = Dossier.objects.get(pk=cast.dossier.pk)
    assert dossier.state == Dossier.State.OPINION_SIGNED
    last_signer = signatories[cast.committee.institutions[0]]
    assert dossier.transitions.filter(to_state=Dossier.State.OPINION_SIGNED, by=last_signer).exists()

    opinion = save(dossier, member, dossier.opinion.revision, remarks="Corrigé")
    assert not opinion.signatures.exists()
    assert Dossier.objects.get(pk=dossier.pk).state == Dossier.State.IN_INSTRUCTION


def test_a_dossier_returned_to_its_landlord_is_signed_again(cast):
    """Found by tests/test_process_model.py: a member signed, the dossier was returned as incomplete and came back
    naming the member's organisation as a partner; the signature stood, and with the other institution's the
    opinion was signed by a member in conflict on the dossier it signed."""
    dossier, conflicted = cast.other_dossier, cast.users["member_in_conflict"]
    Dossier.objects.filter(pk=dossier.pk).update(state=Dossier.State.IN_INSTRUCTION)
    # Landlord A's employee sits for the AR Hlm, and is not in conflict on landlord B's dossier.
    opinion_sign(dossier=dossier, by=conflicted)
    dossier_return_incomplete(dossier=dossier, by=cast.users["member"], message="Il manque le budget.")
    assert not dossier.opinion.signatures.exists()

    dossier.partners.add(cast.dossier.lead_landlord)
    Dossier.objects.filter(pk=dossier.pk).update(state=Dossier.State.SUBMITTED)
    opinion_sign(dossier=dossier, by=cast.users["member"])
    with pytest.raises(ActionRefused, match="conflit"):
        opinion_sign(dossier=dossier, by=conflicted)
    assert Dossier.objects.get(pk=dossier.pk).state == Dossier.State.SUBMITTED


def test_signing_rules(cast):
    member = cast.users["member"]
    opinion_sign(dossier=cast.dossier, by=member)
    assert cast.dossier.opinion.signatures.get().institution == cast.committee.institutions[1]
    with pytest.raises(ActionRefused, match="déjà signé"):
        opinion_sign(dossier=cast.dossier, by=member)
    # A landlord's staff is no signatory, nor a member in conflict.
    with pytest.raises(ActionRefused, match="co-présidentes"):
        opinion_sign(dossier=cast.dossier, by=cast.users["landlord"])
    with pytest.raises(ActionRefused, match="conflit"):
        opinion_sign(dossier=cast.dossier, by=cast.users["member_in_conflict"])
    assert Dossier.objects.get(pk=cast.dossier.pk).state == Dossier.State.IN_INSTRUCTION


def test_no_opinion_change_once_decided(cast):
    Dossier.objects.filter(pk=cast.dossier.pk).update(state=Dossier.State.RETAINED)
    with pytest.raises(ActionRefused, match="Retenu"):
        save(cast.dossier, cast.users["member"], cast.dossier.opinion.revision)
    with pytest.raises(ActionRefused):
        opinion_sign(dossier=cast.dossier, by=cast.users["member"])


def test_publication_checks_list_every_problem(cast):
    cast.committee.call.cap_per_project = 100000
    cast.committee.call.save()
    BudgetLine.objects.create(dossier=cast.dossier, year=1, funder="fsi", amount=150000)
    Opinion.objects.filter(dossier=cast.other_dossier).update(verdict="defavorable", retained=True, rank="P3")
    checks = publication_checks(cast.committee)
    messages = [check.message for check in checks]
    assert sum("n'est pas signé" in m for m in messages) == 4  # two dossiers, two institutions each
    assert any("favorable ou réservé" in m and "bailleur B" in m for m in messages)
    over_cap = [check for check in checks if "dépasse le plafond" in check.message]
    assert len(over_cap) == 1 and not over_cap[0].blocking
    assert "150\u202f000 €" in over_cap[0].message


def test_publication_refused_while_unsigned(cast):
    with pytest.raises(PublicationRefused) as refusal:
        joint_opinion_publish(committee=cast.committee, by=cast.users["member"])
    assert any("n'est pas signé" in check.message for check in refusal.value.checks)
    assert not JointOpinion.objects.exists()


def test_publish_freezes_versions_and_notifies(cast, signatories, django_capture_on_commit_callbacks):
    for user in cast.users.values():
        if user is not None:
            user.email = f"{user.username}@example.org"
            user.save()
    member = cast.users["member"]
    sign_both(signatories, cast.dossier)
    sign_both(signatories, cast.other_dossier)
    with django_capture_on_commit_callbacks(execute=True):
        first = joint_opinion_publish(committee=cast.committee, by=member)
    assert first.version == 1
    assert first.sha256 == snapshot_digest(first.content)
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"landlord@example.org", "other_landlord@example.org", "member@example.org"} <= recipients
    assert "other_committee_member@example.org" not in recipients
    assert "member_elsewhere@example.org" not in recipients

    with pytest.raises(PublicationRefused, match="Rien n'a changé"):
        joint_opinion_publish(committee=cast.committee, by=member)

    dossier = Dossier.objects.get(pk=cast.dossier.pk)
    save(dossier, member, dossier.opinion.revision, remarks="Version corrigée")
    sign_both(signatories, dossier)
    second = joint_opinion_publish(committee=cast.committee, by=member)
    assert second.version == 2
    first.refresh_from_db()
    assert [p["remarks"] for p in first.content["projects"]] == [
        "Brouillon de l'avis sur A",
        "Brouillon de l'avis sur B",
    ]
    assert second.content["projects"][0]["remarks"] == "Version corrigée"


def test_snapshot_has_the_imported_shape(cast):
    content = committee_snapshot(cast.committee)
    assert set(content) == {"call", "region", "dossiers_received", "instructed_on", "letterheads", "projects"}
    assert set(content["projects"][0]) == {
        "number", "title", "landlord", "verdict", "questions", "remarks", "retained", "rank",
    }  # fmt: skip


def _post_opinion(client, dossier, **changes):
    data = {**VALUES, "retained": "on", "revision": dossier.opinion.revision, **changes}
    return client.post(reverse("opinion_edit", args=[dossier.pk]), data)


def test_the_second_editor_sees_the_first_ones_text(cast, login):
    stale = cast.dossier.opinion.revision
    first = login(cast.users["member"])
    assert _post_opinion(first, cast.dossier, remarks="Texte du premier").status_code == 302
    response = _post_opinion(first, cast.dossier, remarks="Texte du second", revision=stale)
    body = html.unescape(response.content.decode())
    assert response.status_code == 409
    assert "Texte du premier" in body and "Texte du second" in body
    assert "pendant que vous le modifiiez" in body
    assert Opinion.objects.get(dossier=cast.dossier).remarks == "Texte du premier"


def test_invalid_opinion_gets_french_errors(cast, login):
    client = login(cast.users["member"])
    response = _post_opinion(client, cast.dossier, verdict="", rank="P9")
    body = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "Choisissez le sens de l'avis" in body
    assert "Sélectionnez un choix valide" in body
    response = _post_opinion(client, cast.dossier, verdict="defavorable")
    assert "favorable ou réservé" in html.unescape(response.content.decode())
    assert Opinion.objects.get(dossier=cast.dossier).remarks == "Brouillon de l'avis sur A"


def test_transitions_record_their_author(cast, signatories):
    sign_both(signatories, cast.dossier)
    transition = StateTransition.objects.get(dossier=cast.dossier, to_state=Dossier.State.OPINION_SIGNED)
    assert transition.by == signatories[cast.committee.institutions[0]]
    assert transition.from_state == Dossier.State.IN_INSTRUCTION


def test_the_opinions_written_come_after_those_to_write(cast):
    """A member's opinions to write or revise: one still blank first, one written after, marked."""
    cast.other_dossier.opinion.verdict = ""
    cast.other_dossier.opinion.save()
    [section] = [s for s in todo_sections(Access(cast.users["member"])) if s.todo.action == "opinion.write"]
    assert [(row.pk, row.given) for row in section.items] == [(cast.other_dossier.pk, False), (cast.dossier.pk, True)]
