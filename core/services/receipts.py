"""The receipt of a submission: the dossier as submitted, frozen in the submission's transaction with its SHA-256; its
PDF is rendered afterwards, by a task (documents.receipts)."""

import hashlib
import json

from core.models import Dossier, Receipt


def submitted_content(dossier: Dossier) -> dict:
    """What the landlord submitted, as the receipt lists it: plain values, amounts as text, in a stable order."""
    return {
        "call": dossier.call.title,
        "committee": dossier.committee.name,
        "number": dossier.number,
        "title": dossier.title,
        "lead_landlord": dossier.lead_landlord.name,
        "co_landlords": sorted(o.name for o in dossier.co_landlords.all()),
        "partners": sorted(o.name for o in dossier.partners.all()),
        "publics": sorted(p.name for p in dossier.publics.all()),
        "summary": dossier.summary,
        "duration_years": dossier.duration_years,
        "households_total": dossier.households_total,
        "evaluation_plan": dossier.evaluation_plan,
        "renewal_note": dossier.renewal_note,
        "strands": [
            {"strand": s.get_strand_display(), "year": s.year, "households": s.households}
            for s in dossier.strands.order_by("year", "strand")
        ],
        "territories": [
            {"department": t.department, "commune": t.commune, "qpv": t.qpv_name if t.qpv else ""}
            for t in dossier.territories.order_by("department", "commune", "pk")
        ],
        "budget": [
            {"year": b.year, "funder": b.get_funder_display(), "amount": str(b.amount)}
            for b in dossier.budget_lines.order_by("year", "funder", "pk")
        ],
        "requested": str(dossier.requested),
        "attachments": [
            {"document": a.document_type, "name": a.name, "size": a.size, "sha256": a.sha256}
            for a in dossier.attachments.filter(message__isnull=True).order_by("uploaded_at", "pk")
        ],
    }


def digest(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def receipt_create(dossier: Dossier, by) -> Receipt:
    """Within the submission's transaction: what is frozen is what was submitted."""
    content = submitted_content(dossier)
    return Receipt.objects.create(dossier=dossier, submitted_by=by, content=content, sha256=digest(content))
