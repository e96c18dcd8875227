from core.models.accounts import Invitation
from core.models.audit import AuditEvent
from core.models.calls import OTHER_DOCUMENT, REQUIRED_DOCUMENTS, Call, Committee, Public, RuleMode, Strand
from core.models.dossiers import Attachment, BudgetLine, Dossier, DossierStrand, StateTransition, Territory
from core.models.exchanges import ExpertRequest, Message, Note
from core.models.exports import Export
from core.models.followup import Agreement, Decision, PaymentTranche, Report, ReportHouseholds, ReportSpend
from core.models.imports import ArchiveImport
from core.models.notifications import Dispatch, Notification, Preference
from core.models.opinions import (
    SMILEYS,
    ClearedSignature,
    DepartmentalOpinion,
    JointOpinion,
    Opinion,
    OpinionSignature,
    Rank,
    Verdict,
)
from core.models.organisations import Membership, Organisation
from core.models.receipts import Receipt
from core.models.seats import AdvisoryOpinion, Seat

__all__ = [
    "OTHER_DOCUMENT",
    "REQUIRED_DOCUMENTS",
    "SMILEYS",
    "AdvisoryOpinion",
    "Agreement",
    "ArchiveImport",
    "Attachment",
    "AuditEvent",
    "BudgetLine",
    "Call",
    "ClearedSignature",
    "Committee",
    "Decision",
    "DepartmentalOpinion",
    "Dispatch",
    "Dossier",
    "DossierStrand",
    "ExpertRequest",
    "Export",
    "Invitation",
    "JointOpinion",
    "Membership",
    "Message",
    "Note",
    "Notification",
    "Opinion",
    "OpinionSignature",
    "Organisation",
    "PaymentTranche",
    "Preference",
    "Public",
    "Rank",
    "Receipt",
    "Report",
    "ReportHouseholds",
    "ReportSpend",
    "RuleMode",
    "Seat",
    "StateTransition",
    "Strand",
    "Territory",
    "Verdict",
]
