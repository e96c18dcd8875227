"""Who carries a dossier: a social landlord, or an association with Hlm bodies as co-carriers (issue #21)."""

import pytest
from django.urls import reverse

from core.models import Call, Dossier, Invitation, Membership, Organisation
from core.permissions import Access
from core.services.accounts import InvitationRefused, invitation_send
from core.workflow import allows
from tests.factories import OrganisationFactory, UserFactory, member


@pytest.fixture
def association(cast):
    call = cast.committee.call
    call.status = Call.Status.OPEN
    call.save()
    organisation = OrganisationFactory(name="Association Habitat Solidaire", kind=Organisation.Kind.ASSOCIATION)
    return member(UserFactory(username="asso"), organisation, Membership.Role.LANDLORD_STAFF)


def test_an_association_is_invited_as_a_carrier_and_a_state_service_is_not(cast):
    secretariat = cast.users["secretariat"]
    association = OrganisationFactory(kind=Organisation.Kind.ASSOCIATION)
    invitation_send(email="a@asso.fr", organisation=association, role="porteur", site="http://x/", by=secretariat)
    assert Invitation.objects.get().organisation == association
    with pytest.raises(InvitationRefused, match="n'est ni un bailleur social ni une association"):
        invitation_send(email="b@dreal.fr", organisation=cast.committee.institutions[1], role="porteur",
                        site="http://x/", by=secretariat)  # fmt: skip


def test_an_association_leads_a_dossier_with_an_hlm_body_as_co_carrier(cast, association, login):
    organisation = association.memberships.get().organisation
    client = login(association)
    response = client.post(
        reverse("dossier_new"), {"committee": cast.committee.pk, "landlord": organisation.pk, "title": "Projet asso"}
    )
    dossier = Dossier.objects.get(title="Projet asso")
    assert response.status_code == 302 and dossier.lead_landlord == organisation
    # The Hlm bodies are offered as co-carriers, the association itself is not.
    form = client.get(reverse("dossier_edit", args=[dossier.pk])).context["form"]
    offered = set(form.fields["co_landlords"].queryset)
    hlm = cast.dossier.lead_landlord
    assert hlm in offered and organisation not in offered
    dossier.co_landlords.add(hlm)
    # The Hlm body's staff carries it with the association; the association's staff alone withdraws it.
    landlord = Access(cast.users["landlord"])
    assert allows(landlord, "dossier.edit", dossier) and not allows(landlord, "dossier.withdraw", dossier)
    assert allows(Access(association), "dossier.withdraw", dossier)


@pytest.mark.parametrize(
    ("kind", "legal_form", "hlm"),
    [
        ("bailleur", "", True),
        ("bailleur", "oph", True),
        ("bailleur", "esh", True),
        ("bailleur", "coop", True),
        ("bailleur", "sem", False),
        ("association", "association", False),
    ],
)
def test_an_hlm_body_is_a_social_landlord_but_a_sem(kind, legal_form, hlm):
    assert Organisation(kind=kind, legal_form=legal_form).is_hlm is hlm
