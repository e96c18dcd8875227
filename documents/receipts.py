"""The receipt of a submission as PDF: rendered once, by a task, from the content frozen at submission, and stored
with its SHA-256; rendered on demand if the worker has not run yet."""

import hashlib
from decimal import Decimal

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django_tasks import task
from weasyprint import HTML

from core.models import Receipt
from documents.joint_opinion_pdf import BASE_URL, StaticFilesFetcher


def receipt_pdf(receipt: Receipt) -> bytes:
    content = receipt.content
    html = render_to_string(
        "documents/receipt_print.html",
        {
            "receipt": receipt,
            "content": content,
            # Amounts are kept as text, to the cent: shown as the pages show them.
            "requested": Decimal(content["requested"]),
            "budget": [{**line, "amount": Decimal(line["amount"])} for line in content["budget"]],
        },
    )
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesFetcher()).write_pdf(
        pdf_variant="pdf/ua-1", custom_metadata=True
    )


def receipt_file(receipt: Receipt):
    """The stored PDF, rendered and stored first if it is not yet."""
    if not receipt.pdf:
        data = receipt_pdf(receipt)
        receipt.pdf.save(f"{receipt.uuid}.pdf", ContentFile(data), save=False)
        receipt.pdf_sha256 = hashlib.sha256(data).hexdigest()
        receipt.save(update_fields=["pdf", "pdf_sha256"])
    return receipt.pdf


@task()
def receipt_render(receipt_id: int) -> str:
    receipt = Receipt.objects.select_related("submitted_by").get(pk=receipt_id)
    receipt_file(receipt)
    return receipt.pdf_sha256
