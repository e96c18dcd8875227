"""The import_avis_conjoint command, from a file to the database, on the PACA 2018 seed."""

import hashlib
import json
import re
from datetime import date
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from core.models import (
    ArchiveImport,
    AuditEvent,
    Call,
    Committee,
    Decision,
    Dossier,
    JointOpinion,
    Membership,
    Opinion,
    OpinionSignature,
    Organisation,
    Seat,
)
from core.services.calls import seat_add
from core.services.joint_opinions import snapshot_digest
from documents import joint_opinion_import
from documents.joint_opinion_parser import parse
from tests.factories import IMPORTER, OrganisationFactory, UserFactory, importer, member

pytestmark = pytest.mark.django_db

LANDLORDS = ["ERILIA", "LOGEO MEDITERRANEE", "LOGIREM", "MISTRAL HABITAT", "OPH DES HAUTES ALPES", "VAR HABITAT"]
LAST_REMARK = "mais qui est coûteux par famille."


@pytest.fixture(autouse=True)
def as_importer(db):
    """The secretariat's user, as whom every import of this module writes."""
    return importer()


def run(path, *options: str) -> str:
    out = StringIO()
    call_command("import_avis_conjoint", str(path), "--by", IMPORTER, *options, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every row of every model of the core app, historical records and many-to-many tables included."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_app_config("core").get_models(include_auto_created=True)
    }


def avis_rows() -> dict:
    """The snapshot without the records of the imports themselves: each import is recorded, even one that changes
    nothing."""
    rows = snapshot()
    del rows["core.ArchiveImport"], rows["core.AuditEvent"]
    return rows


def nothing_written():
    """No row but the importer's own: its organisation and membership (the user is outside the core app)."""
    rows = snapshot()
    national = [row for row in rows.pop("core.Organisation") if row["kind"] != Organisation.Kind.NATIONAL]
    secretariat = [row for row in rows.pop("core.Membership") if row["role"] != "secretariat"]
    return not national and not secretariat and all(not table for table in rows.values())


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "avis.txt"):
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8"))
        return path

    return write


@pytest.fixture
def seed_file(write, seed_text):
    return write(seed_text)


@pytest.fixture
def corrected_file(write, seed_text):
    """The seed with one remark (project 7's) corrected."""
    assert seed_text.count(LAST_REMARK) == 1
    return write(seed_text.replace(LAST_REMARK, "mais qui reste coûteux par famille."), "avis-v2.txt")


def imported_content(path) -> dict:
    """What a JointOpinion imported from path holds: the parsed document, letterheads included."""
    document = parse(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps({**document.as_json(), "letterheads": document.letterheads}))


def test_dry_run_json_prints_the_document_and_writes_nothing(seed_file):
    shown = json.loads(run(seed_file, "--dry-run", "--json"))
    assert set(shown) == {"call", "region", "dossiers_received", "instructed_on", "projects"}
    assert {tuple(sorted(p)) for p in shown["projects"]} == {
        ("landlord", "number", "questions", "rank", "remarks", "retained", "title", "verdict")
    }
    assert shown["region"] == "AR Hlm PACA & Corse"
    assert (shown["dossiers_received"], shown["instructed_on"]) == (7, "2018-11-13")
    assert [p["rank"] for p in shown["projects"]] == ["P1", "P2", "P2", "P2", "P1", "P1", "P3"]
    assert nothing_written()


def test_dry_run_without_json_says_so(seed_file):
    assert run(seed_file, "--dry-run").strip() == "7 projects parsed; nothing written (--dry-run)."
    assert nothing_written()


def test_import_creates_the_committee_and_its_opinions(seed_file):
    # The call, 2 institutions, 6 landlords, the committee, 7 dossiers, 7 opinions, the joint opinion.
    assert run(seed_file).startswith("AR Hlm PACA & Corse (2018): 25 created, 0 updated (call ")

    call = Call.objects.get()
    assert (call.edition, call.year) == (4, 2018)
    committee = Committee.objects.get()
    assert committee.call == call
    assert committee.region == "93"
    assert committee.name == "AR Hlm PACA & Corse"
    assert (committee.instructed_on, committee.dossiers_received) == (date(2018, 11, 13), 7)
    assert committee.institutions[0].kind == Organisation.Kind.AR_HLM
    assert committee.institutions[0].name.startswith("ASSOCIATION REGIONALE DES ORGANISMES HLM")
    assert committee.institutions[1].kind == Organisation.Kind.STATE_SERVICE
    assert committee.institutions[1].name.startswith("DIRECTION REGIONALE DE L'ENVIRONNEMENT")

    landlords = Organisation.objects.filter(kind=Organisation.Kind.LANDLORD)
    assert sorted(landlords.values_list("name", flat=True)) == LANDLORDS
    assert landlords.get(name="OPH DES HAUTES ALPES").legal_form == Organisation.LegalForm.OPH

    dossiers = Dossier.objects.filter(committee=committee).order_by("number")
    assert [d.number for d in dossiers] == [1, 2, 3, 4, 5, 6, 7]
    assert [d.lead_landlord.name for d in dossiers][5:] == ["VAR HABITAT", "VAR HABITAT"]
    assert {d.state for d in dossiers} == {Dossier.State.OPINION_SIGNED}
    assert dossiers[1].title == "PROTEGE-TOIT"

    opinions = Opinion.objects.order_by("dossier__number")
    assert [o.rank for o in opinions] == ["P1", "P2", "P2", "P2", "P1", "P1", "P3"]
    assert {(o.retained, o.verdict, o.revision) for o in opinions} == {(True, "favorable", 1)}
    assert opinions[3].questions.startswith("Renouvellement")

    signatures = OpinionSignature.objects.values_list("opinion__dossier__number", "institution")
    institutions = {committee.institutions[0].pk, committee.institutions[1].pk}
    assert sorted(signatures) == sorted((n, i) for n in range(1, 8) for i in institutions)

    joint = JointOpinion.objects.get()
    assert (joint.committee, joint.version, joint.source) == (committee, 1, JointOpinion.Source.IMPORTED)
    assert joint.source_text == seed_file.read_text(encoding="utf-8")
    assert joint.content == imported_content(seed_file)
    assert joint.sha256 == snapshot_digest(joint.content)


def test_importing_twice_changes_nothing(seed_file):
    run(seed_file)
    before = avis_rows()
    assert "nothing changed" in run(seed_file)
    assert avis_rows() == before
    assert ArchiveImport.objects.filter(state=ArchiveImport.State.CONFIRMED).count() == 2
    assert Dossier.history.count() == 7
    assert Opinion.history.count() == 7


def test_a_corrected_document_updates_only_what_changed(seed_file, corrected_file):
    run(seed_file)
    before = {o.dossier.number: (o.revision, o.updated_at, o.history.count()) for o in Opinion.objects.all()}
    dossiers = list(Dossier.objects.order_by("pk").values())

    output = run(corrected_file)

    assert "opinion 7" in output and "opinion 6" not in output
    after = {o.dossier.number: (o.revision, o.updated_at, o.history.count()) for o in Opinion.objects.all()}
    assert {n: after[n] for n in range(1, 7)} == {n: before[n] for n in range(1, 7)}
    version, _, history = after[7]
    assert (version, history) == (2, 2)
    assert Opinion.objects.get(dossier__number=7).remarks.endswith("mais qui reste coûteux par famille.")
    assert list(Dossier.objects.order_by("pk").values()) == dossiers

    joints = JointOpinion.objects.order_by("version")
    assert [j.version for j in joints] == [1, 2]
    assert (joints[0].content, joints[1].content) == (imported_content(seed_file), imported_content(corrected_file))
    assert joints[0].sha256 != joints[1].sha256


def test_a_corrected_document_does_not_change_a_decided_opinion(seed_file, corrected_file):
    """The importer follows the workflow: once the national level has a decision on a dossier, its opinion is
    closed to the committee, and so to the committee's corrected document."""
    run(seed_file)
    dossier = Dossier.objects.get(number=7)
    Decision.objects.create(dossier=dossier, outcome="retenu", amount_granted=1000)
    before = snapshot()
    with pytest.raises(CommandError, match=r"Projet N°7 .* figés"):
        run(corrected_file)
    assert snapshot() == before


def test_a_copy_with_other_line_endings_is_the_same_document(write, seed_file, seed_text):
    run(seed_file)
    before = avis_rows()
    assert "nothing changed" in run(write(seed_text.replace("\n", "\r\n"), "copie.txt"))
    assert avis_rows() == before


def existing_committee(**fields) -> Committee:
    call = Call.objects.create(title="4e appel à projets", edition=4, year=2018)
    return Committee.objects.create(call=call, **fields)


def test_an_existing_committee_keeps_the_institutions_set_by_the_secretariat(seed_file):
    ar_hlm = OrganisationFactory(name="AR Hlm PACA et Corse", kind=Organisation.Kind.AR_HLM)
    dreal = OrganisationFactory(name="DREAL PACA", kind=Organisation.Kind.STATE_SERVICE)
    committee = existing_committee(name="Comité PACA", region="93")
    for institution in (ar_hlm, dreal):
        seat_add(committee=committee, organisation=institution, kind=Seat.Kind.CO_CHAIR)

    run(seed_file)

    assert Committee.objects.get() == committee
    assert Dossier.objects.filter(committee=committee).count() == 7
    assert Organisation.objects.exclude(kind__in=[Organisation.Kind.LANDLORD, Organisation.Kind.NATIONAL]).count() == 2
    assert set(OpinionSignature.objects.values_list("institution", flat=True)) == {ar_hlm.pk, dreal.pk}


def test_an_existing_committee_without_region_is_found_by_name(seed_file):
    committee = existing_committee(name="AR Hlm PACA & Corse")
    run(seed_file)
    committee.refresh_from_db()
    assert Committee.objects.get() == committee
    assert committee.institutions[0].kind == Organisation.Kind.AR_HLM
    assert committee.institutions[1].kind == Organisation.Kind.STATE_SERVICE
    assert committee.dossiers.count() == 7


def error_in_first_project(text: str) -> tuple[str, str]:
    return text.replace("dossiers retenus : PI", "dossiers retenus : P7", 1), "dossiers retenus : P7"


def error_in_last_project(text: str) -> tuple[str, str]:
    return text.replace("dossiers retenus : P3", "dossiers retenus : P 3 bis"), "P 3 bis"


def truncated_in_last_project(text: str) -> tuple[str, str]:
    cut = text.index(LAST_REMARK)
    return text[:cut], text[cut - 30 : cut]


@pytest.mark.parametrize("damage", [error_in_first_project, error_in_last_project, truncated_in_last_project])
def test_a_bad_file_names_its_line_and_writes_nothing(write, seed_text, damage):
    text, culprit = damage(seed_text)
    path = write(text)
    line = text[: text.index(culprit)].count("\n") + 1
    with pytest.raises(CommandError, match=rf"^{re.escape(str(path))}: ligne {line} : "):
        run(path)
    assert nothing_written()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "ligne 1 : ce fichier n'est pas un document texte"),
        (b"Bonjour\n", "ligne 1 : ni intitulé d'appel à projets ni « PROJET N°… »"),
    ],
)
def test_not_an_avis_conjoint(tmp_path, data, message):
    path = tmp_path / "document.docx"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        run(path)
    assert nothing_written()


def test_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"absent\.txt: fichier illisible \("):
        run(tmp_path / "absent.txt")


def failing_after(monkeypatch, step: str):
    """Makes the import fail once step has written its objects, as a database error would."""
    original = getattr(joint_opinion_import, step)

    def fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError(f"failure after {step}")

    monkeypatch.setattr(joint_opinion_import, step, fail)


@pytest.mark.parametrize("step", ["_committee", "_joint_opinion"])
def test_a_failed_import_writes_nothing(monkeypatch, seed_file, step):
    failing_after(monkeypatch, step)
    with pytest.raises(RuntimeError, match=f"failure after {step}"):
        run(seed_file)
    assert nothing_written()


def test_a_failed_update_leaves_the_previous_import(monkeypatch, seed_file, corrected_file):
    run(seed_file)
    before = snapshot()
    failing_after(monkeypatch, "_joint_opinion")
    with pytest.raises(RuntimeError):
        run(corrected_file)
    assert snapshot() == before


def test_the_import_is_made_as_the_user_named_and_recorded(seed_file, as_importer):
    run(seed_file)
    archive = ArchiveImport.objects.get()
    assert (archive.uploaded_by, archive.state, archive.committee) == (
        as_importer,
        ArchiveImport.State.CONFIRMED,
        Committee.objects.get(),
    )
    assert archive.sha256 == hashlib.sha256(seed_file.read_bytes()).hexdigest()
    assert archive.file.read() == seed_file.read_bytes()
    assert len(archive.changes["created"]) == 25
    assert AuditEvent.objects.filter(action="import.confirm", by=as_importer).count() == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [((), "--by : indiquez l'utilisateur"), (("--by", "personne"), "aucun utilisateur actif « personne »")],
)
def test_an_import_needs_a_known_importer(seed_file, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_avis_conjoint", str(seed_file), *options, stdout=StringIO())
    assert nothing_written()


def test_a_landlord_may_not_import(seed_file):
    landlord = OrganisationFactory(name="Bailleur")
    member(UserFactory(username="porteur"), landlord, Membership.Role.LANDLORD_STAFF)
    with pytest.raises(CommandError, match="Importer un avis conjoint"):
        call_command("import_avis_conjoint", str(seed_file), "--by", "porteur", stdout=StringIO())
    assert not Committee.objects.exists() and not ArchiveImport.objects.exists()
