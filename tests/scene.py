"""A scene on the demo for the browser tests: what the demo lacks for some pages and for each role to have work
waiting (a draft, decisions, an agreement and its payments, a report sent and another due, an expert request, a
message to answer, an invitation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from core.models import ArchiveImport, Committee, Dossier

INVITATION_KEY = "lien-d-invitation-du-test-d-accessibilite"
ROLE_INVITATION_KEY = "lien-d-invitation-a-un-compte-existant"


@dataclass
class Scene:
    """What the demo lacks for some pages: a draft, decisions, an agreement, an expert request."""

    paca: Committee
    draft: Dossier
    funded: Dossier  # retained, notified, under agreement: reports are due
    retained: Dossier  # retained, notified, no agreement yet
    decidable: Dossier  # opinion signed, awaiting the national decision
    asked: Dossier  # sent to the invited expert
    landlord: str  # the username of the landlord carrying `funded`
    archive: ArchiveImport | None = None  # an avis conjoint read, to review, a field of it doubtful
    refused: ArchiveImport | None = None  # a file the reader refused


@pytest.fixture
def scene(demo) -> Scene:
    # Imported here: this module is a plugin of the test suite, loaded before Django is set up.
    from django.contrib.auth.models import User
    from django.utils import timezone
    from django.utils.text import slugify

    from core.models import Call, Committee, Invitation, Membership
    from core.services.accounts import invitation_digest
    from core.services.decisions import decision_record, decisions_notify
    from core.services.dossiers import dossier_create
    from core.services.exchanges import expert_request, message_post
    from core.services.followup import agreement_create, report_save

    secretariat = User.objects.get(username="secretariat")
    member = User.objects.get(username="arhlm.paca")
    paca = Committee.objects.get(call__edition=4)
    open_committee = Committee.objects.get(call__status=Call.Status.OPEN)
    funded, retained, decidable, asked = (paca.dossiers.get(number=n) for n in (1, 2, 3, 7))
    landlord = slugify(funded.lead_landlord.name)
    author = User.objects.get(username=landlord)
    draft = dossier_create(
        committee=open_committee, lead_landlord=funded.lead_landlord, title="Habiter et rester chez soi", by=author
    )
    for dossier, amount in ((funded, Decimal(100000)), (retained, Decimal(80000))):
        decision_record(dossier=dossier, outcome="retenu", amount_granted=amount, conditions="", by=secretariat)
    decisions_notify(call=paca.call, by=secretariat)
    agreement_create(
        dossier=funded,
        amount=Decimal(100000),
        signed_on=date(2019, 3, 1),
        starts_on=date(2019, 3, 1),
        ends_on=date(2021, 2, 28),
        tranches=[
            {"amount": Decimal(50000), "condition": "À la signature"},
            {"amount": Decimal(50000), "condition": "Sur bilan de la première année"},
        ],
        by=secretariat,
    )
    # The final evaluation, sent: the secretariat reviews it (the first year's report is still to write).
    report_save(
        dossier=funded,
        year=funded.duration_years or 1,
        is_final=True,
        submit=True,
        by=author,
        values={"entries_into_housing": 7, "evictions_avoided": 2, "transfers": 1, "comment": "Bonne année."},
        households={"acces": 4, "maintien": 9},
        spend={"fnavdl": Decimal(45000), "fonds_propres": Decimal(9000)},
    )
    expert = Membership.objects.get(role=Membership.Role.EXPERT).user
    expert_request(dossier=asked, expert=expert, question="Le partenariat avec le CMP est-il solide ?", by=member)
    message_post(dossier=asked, by=member, body="Pouvez-vous préciser le budget ?")
    Invitation.objects.create(
        email="nouveau.membre@dreal.gouv.fr", organisation=paca.institutions[1], role=Membership.Role.COMMITTEE_MEMBER,
        committee=paca, invited_by=secretariat, expires_at=timezone.now() + timedelta(days=7),
        key_hash=invitation_digest(INVITATION_KEY),
    )  # fmt: skip
    # An observer's role added to the account of a committee member.
    User.objects.filter(username="dreal.paca").update(email="sophie.durand@developpement-durable.gouv.fr")
    Invitation.objects.create(
        email="sophie.durand@developpement-durable.gouv.fr", organisation=paca.institutions[1],
        role=Membership.Role.OBSERVER, committee=paca, invited_by=secretariat,
        expires_at=timezone.now() + timedelta(days=7), key_hash=invitation_digest(ROLE_INVITATION_KEY),
    )  # fmt: skip
    return Scene(paca, draft, funded, retained, decidable, asked, landlord, *archive_imports(secretariat))


def archive_imports(by) -> tuple[ArchiveImport, ArchiveImport]:
    """The PACA 2018 avis conjoint read, its first project's title doubtful (as a scan's); a file refused."""
    from django.core.files.base import ContentFile

    from core.models import ArchiveImport
    from documents.joint_opinion_corrections import document_json
    from documents.joint_opinion_parser import parse
    from tests.conftest import DEMO_DATA

    text = (DEMO_DATA / "avis-conjoint-paca-2018.txt").read_text(encoding="utf-8")
    document = document_json(parse(text))
    document["projects"][0]["confidence"]["title"] = 0.42
    imports = []
    for state, values in (
        (ArchiveImport.State.READY, {"document": document, "text": text, "region": "93"}),
        (ArchiveImport.State.REFUSED, {"error": "Ce fichier n'est pas un avis conjoint."}),
    ):
        archive = ArchiveImport(uploaded_by=by, filename="avis.txt", sha256="0" * 64, state=state, **values)
        archive.file.save("avis.txt", ContentFile(text.encode()))
        imports.append(archive)
    return tuple(imports)
