"""Dossiers with their opinions as rows, written as XLSX or CSV without holding them all in memory.

The rows are produced once; each writer only formats them, so that both files always agree. Each writer
writes every text as text, whatever it holds: a title is the landlord's, and a spreadsheet would run it
as a formula (OWASP, "CSV injection").
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from django.db.models import (
    BooleanField,
    DecimalField,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.formats import label
from core.models import BudgetLine, Dossier, DossierStrand, Verdict
from core.permissions import Access
from core.reading import ShownOpinion
from core.regions import Region
from core.services.joint_opinions import published_projects

HEADER = [
    "Appel", "Année", "Région", "Comité", "N°", "Projet", "Bailleur social", "État", "Déposé le", "Durée (années)",
    "Ménages", "Demandé au programme (€)", "Coût total (€)", "Avis", "Retenu", "Rang",
]  # fmt: skip
# Rows fetched at a time: the memory an export holds, whatever its size.
CHUNK = 500
# A cell starting with one of these is a formula to Excel and LibreOffice, even when the file calls it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What a row reads of its dossier, as a tuple.
ROW = (
    "number", "title", "state", "submitted_at", "duration_years", "committee_id", "call__title", "call__year",
    "committee__name", "committee__region", "lead_landlord__name", "opinion__verdict", "opinion__rank",
    "opinion__retained", "requested", "households", "cost", "reads_draft",
)  # fmt: skip


def _total(model, field: str, **filters):
    # Without the models' default ordering, which would join the dossier, its committee and its call in each subquery.
    rows = model.objects.filter(dossier=OuterRef("pk"), **filters).order_by().values("dossier")
    output = IntegerField() if field == "households" else DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(
        Subquery(rows.annotate(total=Sum(field)).values("total"), output_field=output), 0, output_field=output
    )


def export_queryset(dossiers: QuerySet[Dossier], access: Access) -> QuerySet:
    """One query for everything the rows need, as tuples; sums as subqueries, so that they do not multiply each
    other; whether the reader reads the working copy, as a condition of the row."""
    return (
        dossiers.annotate(
            households=_total(DossierStrand, "households"),
            cost=_total(BudgetLine, "amount"),
            reads_draft=ExpressionWrapper(access.opinion_drafts(), output_field=BooleanField()),
        )
        .order_by("call__year", "committee__name", "number")
        .values_list(*ROW, named=True)
    )


def _published_reader() -> Callable:
    """The last published version of a dossier's project; the rows come committee by committee, so only the
    current committee's versions are held."""
    held: dict = {"committee": None, "projects": {}}

    def published_for(committee_id: int, number: int) -> ShownOpinion | None:
        if held["committee"] != committee_id:
            held.update(committee=committee_id, projects=published_projects([committee_id]))
        project = held["projects"].get((committee_id, number))
        return ShownOpinion.from_project(project) if project else None

    return published_for


def dossier_rows(dossiers: QuerySet[Dossier], access: Access) -> Iterator[list]:
    """The header, then one typed row per dossier, with the opinion as this reader may read it: the committee's
    working copy, or else the last published version. Retained as the opinion carries it, as core.reading shows it:
    a committee may retain a dossier without ranking it. Read as tuples: a row is never a model instance."""
    published_for = _published_reader()
    here = timezone.get_current_timezone()
    yield HEADER
    for row in export_queryset(dossiers, access).iterator(chunk_size=CHUNK):
        if row.reads_draft:
            # No opinion yet: the outer join gives None, even for `retained`, which an opinion always holds.
            opinion = None if row.opinion__retained is None else (
                row.opinion__verdict, row.opinion__retained, row.opinion__rank
            )  # fmt: skip
        else:
            shown = published_for(row.committee_id, row.number)
            opinion = (shown.verdict, shown.retained, shown.rank) if shown else None
        verdict, retained, rank = opinion or ("", False, "")
        yield [
            row.call__title, row.call__year, label(Region, row.committee__region), row.committee__name, row.number,
            row.title, row.lead_landlord__name, label(Dossier.State, row.state),
            row.submitted_at.astimezone(here).date() if row.submitted_at else None, row.duration_years,
            row.households, row.requested, row.cost, label(Verdict, verdict) if verdict else "",
            ("oui" if retained else "non") if opinion else "", rank or "",
        ]  # fmt: skip


def formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_text(text: str) -> str:
    """A text cell of a CSV file: a leading quote keeps a formula-like text a text (OWASP)."""
    return f"'{text}" if formula_like(text) else text


def write_xlsx(rows: Iterable[list], title: str):
    """XlsxWriter in constant-memory mode: each row goes to disk as it comes, strings inline, so that
    memory stays flat whatever the number of rows (openpyxl keeps every distinct string in memory).

    Each value by its type: write() would turn a text starting with "=" into a formula. A formula-like text
    also carries the quote prefix, the spreadsheet's own mark for the CSV's leading quote: shown as typed,
    it stays a text when someone edits the cell."""
    # Returned open: the response that sends it deletes it once closed.
    output = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook = xlsxwriter.Workbook(output.name, {"constant_memory": True, "default_date_format": "dd/mm/yyyy"})
    sheet = workbook.add_worksheet(title[:31])
    # Amounts are numbers, shown as core.formats.euros shows them: grouped, to the cent, without ",00" when whole
    # (the spreadsheet puts its own locale's separators; the column's title says "(€)").
    header = workbook.add_format({"bold": True})
    money, whole_money = (workbook.add_format({"num_format": pattern}) for pattern in ("#,##0.00", "#,##0"))
    quoted = workbook.add_format({"quote_prefix": True})
    sheet.freeze_panes(1, 0)
    last = 0
    for last, row in enumerate(rows):
        for column, value in enumerate(row):
            if last == 0:
                sheet.write_string(0, column, value, header)
            elif isinstance(value, str):
                sheet.write_string(last, column, value, quoted if formula_like(value) else None)
            elif isinstance(value, Decimal):
                sheet.write_number(last, column, value, whole_money if value == int(value) else money)
            elif isinstance(value, int):
                sheet.write_number(last, column, value)
            elif isinstance(value, date):
                sheet.write_datetime(last, column, value)
    sheet.autofilter(0, 0, last, len(HEADER) - 1)
    workbook.close()
    output.seek(0)
    return output


def _csv_value(value) -> str:
    """As French Excel reads it: decimal comma, dates day first."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, str):
        return csv_text(value)
    return str(value)


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """UTF-8 with a byte-order mark and ";" between fields, one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
