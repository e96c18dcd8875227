"""The avis conjoint parser, on documents assembled here in the layout of the PACA 2018 seed."""

import json
import re
import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.richtext import render_markdown
from documents.joint_opinion_parser import ParsedDocument, ParseError, decode, parse

DREAL = "DIRECTION REGIONALE\nDE L'ENVIRONNEMENT, DE L'AMENAGEMENT\nET DU LOGEMENT\nPROVENCE-ALPES-COTE D'AZUR"
AR_HLM = "ASSOCIATION REGIONALE DES ORGANISMES\nHLM DE PROVENCE-ALPES-COTE D'AZUR\nET CORSE"
LETTERHEAD = f"\n\n\n{DREAL}\n\n\n\n{AR_HLM}\n"
CALL = "4^{ÈME} APPEL A PROJETS 10 000 LOGEMENTS HLM ACCOMPAGNÉS AVIS CONJOINT AR Hlm – DREAL PACA"
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def project(number: int = 1, **fields) -> dict:
    """One project's fields, as typed in the document's cells; any field can be overridden."""
    return {
        "number": number,
        "title": f"« PROJET NUMERO {number} »",
        "landlord": f"BAILLEUR {number}",
        "smiley": "☺",
        "questions": f"<p><u>Questions soulevées :</u></p> <p>Questions sur le projet {number}.</p>",
        "remarks": f"<p><u>Remarques / avis global :</u></p> <p>Remarques sur le projet {number}.</p>",
        "rank": "P1",
        **fields,
    }


def document(
    *projects: dict,
    received: int | None = None,
    instructed: str = "**13 novembre 2018**",
    region: str = "**AR Hlm PACA & Corse**",
    call: str = CALL,
    letterhead: str = LETTERHEAD,
) -> str:
    """A document in the seed's layout: letterhead, header, then each project after its own letterhead."""
    projects = projects or (project(),)
    received = len(projects) if received is None else received
    parts = [
        letterhead,
        f"{call}\n",
        f"Nom de la Région : {region}\n",
        f"Nombre total de dossiers reçus : **{received}**\n",
        f"Date de l'instruction : {instructed}\n",
    ]
    for p in projects:
        cells = [
            f"PROJET N°{p['number']}",
            f"Nom du projet : {p['title']}",
            f"Bailleur social : {p['landlord']}",
            "AVIS DU CPR",
            p["smiley"],
            p["questions"],
            p["remarks"],
            f"Rang de classement parmi les dossiers retenus : {p['rank']}",
        ]
        parts.append("".join(f"{cell}\t\n" for cell in cells if cell is not None))
        parts.append(letterhead)
    return "\n".join(parts).rstrip("\n")


def parse_one(**fields):
    """The single project of a one-project document."""
    return parse(document(project(**fields))).projects[0]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based number of the line holding the n-th occurrence of needle."""
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    return text.count("\n", 0, at) + 1


def parse_error(text: str) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(text)
    return caught.value


# The seed ---------------------------------------------------------------------------------------


def test_seed_header(seed_text):
    parsed = parse(seed_text)
    assert parsed.call == "4ÈME APPEL A PROJETS 10 000 LOGEMENTS HLM ACCOMPAGNÉS"
    assert parsed.edition == 4
    assert parsed.region == "AR Hlm PACA & Corse"
    assert parsed.dossiers_received == 7
    assert parsed.instructed_on == date(2018, 11, 13)
    assert [block.split("\n")[0] for block in parsed.letterheads] == [
        "DIRECTION REGIONALE",
        "ASSOCIATION REGIONALE DES ORGANISMES",
    ]


def test_seed_projects(seed_text):
    projects = parse(seed_text).as_json()["projects"]
    assert [p["number"] for p in projects] == [1, 2, 3, 4, 5, 6, 7]
    assert [p["title"] for p in projects] == [
        "SITUATIONS EXTRAORDINAIRES, LOGEMENTS ORDINAIRES",
        "PROTEGE-TOIT",
        "TOI, MOI ET LES AUTRES : ACCOMPAGNER LE VIVRE ENSEMBLE",
        "BAIL SECURISATION / BAIL DE SAUVEGARDE",
        "PROJET D'ACCOMPAGNEMENT DANS LE LOGEMENT DE PUBLICS FRAGILES PSYCHOLOGIQUEMENT",
        "REUSSIR LE LOGEMENT D'ABORD ET LE VIVRE ENSEMBLE",
        "UN CHANGEMENT DE STATUT SANS CHANGEMENT DE LOGEMENT",
    ]
    assert [p["landlord"] for p in projects] == [
        "LOGIREM",
        "ERILIA",
        "LOGEO MEDITERRANEE",
        "MISTRAL HABITAT",
        "OPH DES HAUTES ALPES",
        "VAR HABITAT",
        "VAR HABITAT",
    ]
    assert [p["rank"] for p in projects] == ["P1", "P2", "P2", "P2", "P1", "P1", "P3"]
    assert {p["verdict"] for p in projects} == {"favorable"}


def test_seed_cells_are_markdown_without_their_labels(seed_text):
    projects = parse(seed_text).projects
    for p in projects:
        assert p.questions and p.remarks
        assert not HTML_TAG.search(p.questions + p.remarks), p.number
        assert "Questions soulev" not in p.questions
        assert "avis global" not in p.remarks
    assert projects[3].questions.startswith("Renouvellement\n\nCe projet a été mené")
    assert projects[3].remarks.startswith("Réorientation d'un projet existant")
    items = [line for line in projects[4].questions.split("\n") if line.startswith("- ")]
    assert len(items) == 3
    assert items[0] == "- une offre de logement adapté et accessible économiquement,"
    assert items[2].startswith("- une sécurisation du parcours résidentiel")
    assert projects[1].questions.count("\n\n") == 3  # four paragraphs


def test_seed_decoded_from_bytes_and_as_json(seed_text):
    parsed = parse(decode(seed_text.encode("utf-8")))
    assert parsed == parse(seed_text)
    shown = json.loads(json.dumps(parsed.as_json(), ensure_ascii=False))
    assert shown["instructed_on"] == "2018-11-13"
    assert shown["projects"][4]["rank"] == "P1"


# Tolerance ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "expected", "retained"),
    [
        ("P1", "P1", True),
        ("PI", "P1", True),
        ("Pl", "P1", True),
        ("P 1", "P1", True),
        ("p1", "P1", True),
        ("  P1 ", "P1", True),
        ("**P2**", "P2", True),
        ("P3.", "P3", True),
        ("Non retenu", None, False),
        ("NON RETENU", None, False),
        ("-", None, False),
        ("Retenu", None, True),
    ],
)
def test_rank(rank, expected, retained):
    parsed = parse_one(rank=rank)
    assert (parsed.rank, parsed.retained) == (expected, retained)


@pytest.mark.parametrize(
    ("smiley", "verdict"),
    [
        ("☺", "favorable"),
        ("☺\ufe0f", "favorable"),
        ("🙂", "favorable"),
        (":)", "favorable"),
        ("Favorable", "favorable"),
        ("J", "favorable"),
        ("😐", "reserve"),
        (":|", "reserve"),
        ("Réservé", "reserve"),
        ("reserve", "reserve"),
        ("K", "reserve"),
        ("☹", "defavorable"),
        ("☹\ufe0f", "defavorable"),
        (":(", "defavorable"),
        ("Défavorable", "defavorable"),
        ("Avis défavorable.", "defavorable"),
        ("L", "defavorable"),
    ],
)
def test_smiley(smiley, verdict):
    parsed = parse_one(smiley=smiley)
    assert parsed.verdict == verdict
    assert parsed.questions == "Questions sur le projet 1."


def test_smiley_on_the_opinion_label_line():
    text = document(project(smiley=None)).replace("AVIS DU CPR\t", "AVIS DU CPR : ☹\t")
    parsed = parse(text).projects[0]
    assert (parsed.verdict, parsed.questions) == ("defavorable", "Questions sur le projet 1.")


@pytest.mark.parametrize("smiley", ["☺", "☺\ufe0f"])
def test_smiley_sharing_its_line_with_the_questions(smiley):
    parsed = parse_one(smiley=None, questions=f"{smiley} <u>Questions soulevées :</u> Un texte.")
    assert (parsed.verdict, parsed.questions) == ("favorable", "Un texte.")


@pytest.mark.parametrize(
    "label",
    [
        "<p><u>Questions soulevées :</u></p>",
        "<p><u>Questions soulevées</u> :</p>",
        "<p><u>Questions soulevees :</u></p>",
        "<p><u>QUESTIONS SOULEVÉES</u></p>",
        "<p>Question soulevée :</p>",
        "<p><strong>Questions soulevées :</strong></p>",
    ],
)
def test_questions_label_is_dropped(label):
    assert parse_one(questions=f"{label} <p>Le texte.</p>").questions == "Le texte."


@pytest.mark.parametrize(
    ("cell", "questions"),
    [
        ("<u>Questions soulevées : <strong>Renouvellement</strong></u>", "^^**Renouvellement**^^"),
        ("<u>Questions soulevées :</u> <strong>Renouvellement</strong>", "**Renouvellement**"),
        ("<strong><u>Questions soulevées</u> : Renouvellement</strong>", "**Renouvellement**"),
    ],
)
def test_questions_label_keeps_the_text_markup(cell, questions):
    assert parse_one(questions=cell).questions == questions


@pytest.mark.parametrize(
    "label",
    [
        "<p><u>Remarques / avis global :</u></p>",
        "<p><u>Remarques / avis global</u> :</p>",
        "<u>Remarques et avis global :</u>",
        "<p>Remarque :</p>",
    ],
)
def test_remarks_label_is_dropped(label):
    assert parse_one(remarks=f"{label} <p>Le texte.</p>").remarks == "Le texte."


@pytest.mark.parametrize(
    ("cell", "markdown"),
    [
        ("<p>Un.</p> <p>Deux.</p>", "Un.\n\nDeux."),
        ("<p>Un.</p><p>&nbsp;</p><p> </p><p>Deux.</p>", "Un.\n\nDeux."),
        ("<p>Un texte <u>souligné</u> ici.</p>", "Un texte ^^souligné^^ ici."),
        ("<p>Un texte <u>souligné </u>ici.</p>", "Un texte ^^souligné^^ ici."),
        ("<p>Un <em>mot</em> et un <strong>autre</strong>.</p>", "Un *mot* et un **autre**."),
        ("<p>Liste :</p><ul><li>un,</li><li>deux.</li></ul>", "Liste :\n\n- un,\n- deux."),
        ('Liste : <ul style="list-style-type: none">- un,- deux.', "Liste :\n\n- un,\n- deux."),
        ("<p>Ligne un<br>ligne deux</p>", "Ligne un  \nligne deux"),
        ("<p>Un &amp; deux &lt; trois</p>", "Un & deux < trois"),
        ("<p>Des «\u00a0femmes\u00a0» : 10\u202f000.</p>", "Des «\u00a0femmes\u00a0» : 10\u202f000."),
        ('<p><span style="color:red">Rouge</span> <font face="Arial">et police</font></p>', "Rouge et police"),
        ('<span lang="FR">Sans paragraphe</span> ni liste', "Sans paragraphe ni liste"),
        ("<ul><li>un<ul><li>un bis</li></ul></li><li>deux</li></ul>", "- un\n    - un bis\n- deux"),
        ("<h3>Titre</h3><p>Texte.</p>", "**Titre**\n\nTexte."),
        ("<table><tr><td>Case un</td><td>Case deux</td></tr></table>", "Case un\n\nCase deux"),
    ],
)
def test_html_cells(cell, markdown):
    parsed = parse_one(questions=f"<u>Questions soulevées :</u> {cell}")
    assert parsed.questions == markdown


def test_cells_render_as_written():
    cell = "<p>Un <u>mot </u>souligné,<br>à la ligne :</p><ul><li>un<ul><li>un bis</li></ul></li></ul>"
    html = render_markdown(parse_one(remarks=f"<u>Remarques :</u> {cell}").remarks)
    assert "<p>Un <ins>mot</ins> souligné,<br>\nà la ligne :</p>" in html
    assert "<li>un<ul>\n<li>un bis</li>\n</ul>" in html


def test_plain_text_cells():
    questions = "Questions soulevées :\nUn premier paragraphe\nsur deux lignes.\n\n- un point,\n- un autre.\nFin."
    remarks = "Remarques / avis global :\n\nUne remarque & une autre < 3."
    parsed = parse_one(questions=questions, remarks=remarks)
    assert parsed.questions == "Un premier paragraphe sur deux lignes.\n\n- un point,\n- un autre.\n\nFin."
    assert parsed.remarks == "Une remarque & une autre < 3."


@pytest.mark.parametrize("count", [1, 2, 25])
def test_any_number_of_projects(count):
    numbers = range(1, count + 1)
    ranks = {"P1": "P1", "P2": "P2", "P3": "P3", "Non retenu": None}
    written = [("P1", "P2", "P3", "Non retenu")[n % 4] for n in numbers]
    parsed = parse(document(*(project(n, rank=rank) for n, rank in zip(numbers, written, strict=True))))
    assert [p.number for p in parsed.projects] == list(numbers)
    assert [p.title for p in parsed.projects] == [f"PROJET NUMERO {n}" for n in numbers]
    assert [p.rank for p in parsed.projects] == [ranks[rank] for rank in written]
    assert parsed.projects[-1].remarks == f"Remarques sur le projet {count}."


def letterhead_leaks(parsed: ParsedDocument) -> list[str]:
    fields = [getattr(p, name) for p in parsed.projects for name in ("title", "landlord", "questions", "remarks")]
    words = ("DIRECTION", "REGIONALE", "ORGANISMES", "CORSE")
    return [text for text in fields if any(word in text.upper() for word in words)]


def test_letterhead_before_each_project_is_not_text():
    parsed = parse(document(project(1), project(2), project(3)))
    assert len(parsed.letterheads) == 2
    assert not letterhead_leaks(parsed)


@pytest.mark.parametrize(
    "page_break",
    [
        pytest.param(LETTERHEAD, id="same letterhead"),
        pytest.param(LETTERHEAD.replace("REGIONALE", "RÉGIONALE").replace("D'AZUR", "D’AZUR"), id="OCR variant"),
    ],
)
def test_letterhead_inside_a_project_is_not_text(page_break):
    questions = f"Questions soulevées :\nPremier paragraphe.\n{page_break}\nSecond paragraphe."
    long_project = project(
        2,
        title=f"« UN TITRE{page_break}SUR DEUX PAGES »",
        smiley=f"{page_break}\n😐",
        questions=questions,
        remarks=f"{page_break}<u>Remarques / avis global :</u> Une remarque.",
    )
    parsed = parse(document(project(1), long_project, project(3)))
    assert not letterhead_leaks(parsed)
    second = parsed.projects[1]
    assert second.title == "UN TITRE SUR DEUX PAGES"
    assert second.verdict == "reserve"
    assert second.questions == "Premier paragraphe.\n\nSecond paragraphe."
    assert second.remarks == "Une remarque."


def test_a_project_heading_quoted_in_a_cell_is_not_a_new_project():
    questions = "Questions soulevées :\nLe projet fait suite au\nprojet n°3 de 2016, renouvelé."
    parsed = parse(document(project(1, questions=questions), project(2)))
    assert [p.number for p in parsed.projects] == [1, 2]
    assert parsed.projects[0].questions == "Le projet fait suite au projet n°3 de 2016, renouvelé."


def test_a_remark_in_the_questions_is_not_the_remarks_cell():
    questions = "Questions soulevées :\nUn projet ambitieux.\n\nRemarque : le bailleur est nouveau."
    parsed = parse_one(questions=questions)
    assert parsed.questions == "Un projet ambitieux.\n\nRemarque : le bailleur est nouveau."
    assert parsed.remarks == "Remarques sur le projet 1."


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("«\u00a0PROTEGE-TOIT\u00a0»", "PROTEGE-TOIT"),
        ("«\u202fPROTEGE-TOIT\u202f»", "PROTEGE-TOIT"),
        ("PROTEGE-TOIT", "PROTEGE-TOIT"),
        ("“PROTEGE-TOIT”", "PROTEGE-TOIT"),
        ('« ATELIERS "BIEN CHEZ SOI" »', 'ATELIERS "BIEN CHEZ SOI"'),
        ("« L'ATELIER  DU   QUARTIER »", "L'ATELIER DU QUARTIER"),
    ],
)
def test_title_quotes_and_spaces(title, expected):
    assert parse_one(title=title).title == expected


def test_crlf_line_endings_read_as_lf():
    text = document(project(1, questions="Questions soulevées :\nUn.\n\nDeux."), project(2))
    assert parse(text.replace("\n", "\r\n")) == parse(text)


def test_decomposed_accents_read_as_composed():
    text = document(project(questions="<u>Questions soulevées :</u> Un texte accentué."))
    decomposed = parse(unicodedata.normalize("NFD", text))
    assert decomposed.projects[0].questions == "Un texte accentué."
    assert decomposed.region == "AR Hlm PACA & Corse"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("**13 novembre 2018**", date(2018, 11, 13)),
        ("13/11/2018", date(2018, 11, 13)),
        ("13.11.2018", date(2018, 11, 13)),
        ("2018-11-13", date(2018, 11, 13)),
        ("1er décembre 2018", date(2018, 12, 1)),
        ("mardi 13 nov. 2018", date(2018, 11, 13)),
        ("le mardi 13 novembre 2018", date(2018, 11, 13)),
        ("13 Février 2019", date(2019, 2, 13)),
    ],
)
def test_dates(written, expected):
    assert parse(document(instructed=written)).instructed_on == expected


@pytest.mark.parametrize(
    ("call", "edition"),
    [
        (CALL, 4),
        ("1ER APPEL A PROJETS 10 000 LOGEMENTS HLM ACCOMPAGNÉS – AVIS CONJOINT", 1),
        ("Troisième appel à projets « 10 000 logements accompagnés »", 3),
        ("APPEL A PROJETS 10 000 LOGEMENTS HLM ACCOMPAGNÉS – AVIS CONJOINT", None),
        ("10 000 LOGEMENTS HLM ACCOMPAGNÉS – 5e appel à projets", 5),
        ("2<sup>ème</sup> APPEL A PROJETS – AVIS CONJOINT", 2),
    ],
)
def test_call_edition(call, edition):
    parsed = parse(document(call=call))
    assert parsed.edition == edition
    assert "AVIS CONJOINT" not in parsed.call
    assert "<" not in parsed.call


def test_call_title_with_html_superscript():
    assert parse(document(call="4<sup>ème</sup> APPEL A PROJETS AVIS CONJOINT")).call == "4ème APPEL A PROJETS"


@pytest.mark.parametrize("written", ["7", "**7**", "7 dossiers", "7."])
def test_dossiers_received(written):
    text = document(*(project(n) for n in range(1, 8))).replace("reçus : **7**", f"reçus : {written}")
    assert parse(text).dossiers_received == 7


@pytest.mark.parametrize("heading", ["PROJET N° 2", "Projet n°2 :", "PROJET Nº2", "PROJET NO 2", "PROJET 2"])
def test_project_headings(heading):
    text = document(project(1), project(2)).replace("PROJET N°2", heading)
    assert [p.number for p in parse(text).projects] == [1, 2]


def test_signatures_after_the_last_project_are_not_text():
    signatures = "\n\nFait à Marseille, le 13 novembre 2018\n\nPour la DREAL PACA\tPour l'AR Hlm PACA & Corse\n"
    parsed = parse(document(project(1), project(2)) + signatures)
    assert parsed.projects[-1].remarks == "Remarques sur le projet 2."
    assert parsed.projects[-1].rank == "P1"


# Errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "Liste de courses\n- pain\n- lait\n",
        "Projet de loi n°3 :\nNom du projet : non.",
    ],
)
def test_not_an_avis_conjoint(text):
    error = parse_error(text)
    assert error.line == 1
    assert "ce fichier n'est pas un avis conjoint" in str(error)


def test_header_without_projects():
    header = document()[: document().index("PROJET N°1")]
    error = parse_error(header)
    assert error.line == line_of(header, "Date de l'instruction")
    assert "aucun projet" in str(error)


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00word/document.xml",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        bytes(range(256)),
    ],
)
def test_binary_files_are_refused(data):
    with pytest.raises(ParseError) as caught:
        decode(data)
    assert caught.value.line == 1
    assert str(caught.value).startswith("ligne 1 : ce fichier n'est pas un document texte")


def test_rtf_files_are_refused():
    with pytest.raises(ParseError, match="ligne 1 : ce fichier est au format RTF"):
        decode(b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} AVIS CONJOINT}")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_text_encodings(encoding):
    text = document(project(title="« ÉTÉ À L'ŒIL »", smiley="J"))
    assert parse(decode(text.encode(encoding))) == parse(text)


def test_header_without_region():
    text = document().replace("Nom de la Région", "Région")
    error = parse_error(text)
    assert error.line == line_of(text, "Date de l'instruction")
    assert "l'en-tête ne donne pas « Nom de la Région »" in str(error)


def test_unreadable_date():
    text = document(instructed="bientôt")
    error = parse_error(text)
    assert error.line == line_of(text, "Date de l'instruction")
    assert "date d'instruction illisible : « bientôt »" in str(error)


@pytest.mark.parametrize("written", ["31/02/2018", "13 brumaire 2018", "2018"])
def test_impossible_dates(written):
    assert "date d'instruction illisible" in str(parse_error(document(instructed=written)))


def test_unreadable_rank():
    text = document(project(1), project(2, rank="P7"), project(3))
    error = parse_error(text)
    assert error.line == line_of(text, "Rang de classement", occurrence=2)
    assert "rang de classement illisible pour le projet N°2 : « P7 »" in str(error)


def test_missing_smiley():
    text = document(project(1), project(2, smiley=None))
    error = parse_error(text)
    assert error.line == line_of(text, "Questions sur le projet 2")
    assert "avis illisible pour le projet N°2" in str(error)


def test_empty_opinion_cell():
    text = document(project(1, smiley=None, questions=None))
    error = parse_error(text)
    assert error.line == line_of(text, "AVIS DU CPR")
    assert "le projet N°1 n'a pas d'avis" in str(error)


def test_duplicated_project_number():
    text = document(project(1), project(2), project(2), project(4))
    error = parse_error(text)
    assert error.line == line_of(text, "PROJET N°2", occurrence=2)
    assert "le projet N°2 apparaît deux fois" in str(error)


TRUNCATED_DOCUMENT = document(
    project(1), project(2), project(3, questions="<p>Questions soulevées : un long texte.</p>")
)


@pytest.mark.parametrize(
    "cut_after",
    [
        "PROJET N°3",
        "Bailleur social : BAILLEUR 3",
        "AVIS DU CPR",
        "☺",
        "Questions soulevées : un long",
        "Remarques sur le projet 3.</p>",
        "Rang de classement",
        "Rang de classement parmi les dossiers retenus :",
        "Rang de classement parmi les dossiers retenus : P",
    ],
)
def test_truncated_in_the_last_project(cut_after):
    text = TRUNCATED_DOCUMENT
    end = text.rindex(cut_after) + len(cut_after)
    truncated = text[:end]
    error = parse_error(truncated)
    assert error.line == truncated.count("\n") + 1
    assert "N°3" in str(error)


def test_unreadable_project_heading():
    text = document(project(1), project(2), project(3)).replace("PROJET N°2", "PR0JET N°2")
    error = parse_error(text)
    assert error.line == line_of(text, "Nom du projet", occurrence=2)
    assert "« Nom du projet » sans ligne « PROJET N°… » avant lui, après le projet N°1" in str(error)


def test_truncated_after_a_complete_project():
    text = document(project(1), project(2), received=3)
    error = parse_error(text)
    assert error.line == text.rstrip().count("\n") + 1
    assert "l'en-tête annonce 3 dossiers reçus mais le document n'en contient que 2" in str(error)


@pytest.mark.parametrize(
    ("field", "label", "message"),
    [("title", "Nom du projet", "n'a pas de nom"), ("landlord", "Bailleur social", "n'a pas de bailleur social")],
)
def test_empty_title_or_landlord(field, label, message):
    text = document(project(1, **{field: ""}))
    error = parse_error(text)
    assert error.line == line_of(text, label)
    assert f"le projet N°1 {message}" in str(error)


def test_title_too_long_for_the_database():
    text = document(project(1, title="« " + "TRES LONG TITRE " * 40 + " »"))
    error = parse_error(text)
    assert error.line == line_of(text, "Nom du projet")
    assert "500 caractères" in str(error)


# Any input: a ParseError or a document ---------------------------------------------------------


def check_outcome(text: str) -> None:
    try:
        parsed = parse(text)
    except ParseError as error:
        assert 1 <= error.line <= len(re.split(r"\r\n|\r|\n", text))
        return
    assert parsed.projects
    for p in parsed.projects:
        assert p.verdict in {"favorable", "reserve", "defavorable"}
        assert p.rank in {"P1", "P2", "P3", None}
        assert p.retained or p.rank is None
        assert p.title and p.landlord


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text(text):
    check_outcome(text)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_any_bytes(data):
    try:
        check_outcome(decode(data))
    except ParseError as error:
        assert error.line == 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_seed(seed_text, data):
    lines = seed_text.split("\n")
    indices = st.integers(0, len(lines) - 1)
    for index in sorted(data.draw(st.sets(indices, max_size=6)), reverse=True):
        del lines[index]
    for index, cut in data.draw(st.lists(st.tuples(indices, st.integers(0, 200)), max_size=4)):
        if index < len(lines):
            lines[index] = lines[index][:cut]
    text = "\n".join(lines)
    check_outcome(text[: data.draw(st.integers(0, len(text)))])
