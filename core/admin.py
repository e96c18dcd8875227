"""The admin, for support: the process's states, transitions, signatures, decisions, payments and history are read
here, never written; those go through the workflow's services (core/workflow.py)."""

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from simple_history.admin import SimpleHistoryAdmin

from core import models
from core.audit import audit
from core.filetypes import FileRefused, file_kind, named_as
from core.identifiers import compact

admin.site.site_header = "aap — administration"
admin.site.site_title = "aap"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DossierStrandInline(admin.TabularInline):
    model = models.DossierStrand
    extra = 0


class TerritoryInline(admin.TabularInline):
    model = models.Territory
    extra = 0


class BudgetLineInline(admin.TabularInline):
    model = models.BudgetLine
    extra = 0


class AttachmentInline(admin.TabularInline):
    model = models.Attachment
    extra = 0
    readonly_fields = ["uuid", "document_type", "name", "kind", "size", "sha256", "uploaded_by", "uploaded_at"]


class StateTransitionInline(ReadOnlyInline):
    model = models.StateTransition


class OpinionSignatureInline(ReadOnlyInline):
    model = models.OpinionSignature


class PaymentTrancheInline(ReadOnlyInline):
    model = models.PaymentTranche


class SeatInline(ReadOnlyInline):
    """Read here, changed on the committee's page: a seat makes its members sign, and the change is audited there."""

    model = models.Seat


class ReportHouseholdsInline(admin.TabularInline):
    model = models.ReportHouseholds
    extra = 0


class ReportSpendInline(admin.TabularInline):
    model = models.ReportSpend
    extra = 0


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = models.Organisation
        fields = ["name", "short_name", "kind", "legal_form", "siret", "rna", "logo", "letterhead"]

    # Numbers are typed as they are printed ("123 456 782 00012"), and stored without their spaces.
    siret = forms.CharField(label="SIREN ou SIRET", max_length=40, required=False)
    rna = forms.CharField(label="numéro RNA", max_length=40, required=False)

    def clean_siret(self):
        return compact(self.cleaned_data["siret"])

    def clean_rna(self):
        return compact(self.cleaned_data["rna"])

    def clean_logo(self):
        logo = self.cleaned_data["logo"]
        # A new upload (not the stored logo, nor its removal): printed in every avis conjoint and its DOCX,
        # it must be the image its content says, stored under that image's extension.
        if isinstance(logo, UploadedFile):
            try:
                kind = file_kind(logo, {"png", "jpeg"}, "une image PNG ou JPEG")
            except FileRefused as refusal:
                raise forms.ValidationError(str(refusal)) from refusal
            logo.name = named_as(logo.name, kind)
        return logo


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["name", "short_name", "kind", "legal_form", "siret", "rna"]
    list_filter = ["kind", "legal_form"]
    search_fields = ["name", "short_name", "siret", "rna"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "committee", "department"]
    list_filter = ["role"]
    list_select_related = ["user", "organisation", "committee__call"]
    autocomplete_fields = ["user", "organisation"]

    def save_model(self, request, obj, form, change):
        before = {name: str(form.initial.get(name, "")) for name in form.changed_data} if change else {}
        super().save_model(request, obj, form, change)
        after = {name: str(getattr(obj, name)) for name in form.changed_data}
        audit("membership.admin_change" if change else "membership.admin_add", by=request.user, subject=obj,
              committee=obj.committee, before=before, after=after)  # fmt: skip

    def delete_model(self, request, obj):
        audit("membership.admin_delete", by=request.user, subject=obj, committee=obj.committee,
              before={"user": str(obj.user), "role": obj.role, "organisation": str(obj.organisation)})  # fmt: skip
        super().delete_model(request, obj)


@admin.register(models.Public)
class PublicAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(models.Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "edition", "year", "status"]
    list_filter = ["status"]
    readonly_fields = ["status"]


@admin.register(models.Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["name", "call", "region", "instructed_on"]
    list_filter = ["call", "region"]
    list_select_related = ["call"]
    inlines = [SeatInline]


@admin.register(models.Dossier)
class DossierAdmin(SimpleHistoryAdmin):
    list_display = ["number", "title", "lead_landlord", "committee", "state"]
    list_filter = ["state", "call", "committee"]
    list_select_related = ["lead_landlord", "committee__call"]
    search_fields = ["title", "lead_landlord__name"]
    autocomplete_fields = ["lead_landlord", "co_landlords", "partners", "renews"]
    readonly_fields = ["state", "submitted_at"]
    inlines = [DossierStrandInline, TerritoryInline, BudgetLineInline, AttachmentInline, StateTransitionInline]


@admin.register(models.Opinion)
class OpinionAdmin(SimpleHistoryAdmin):
    list_display = ["dossier", "verdict", "retained", "rank", "revision"]
    list_filter = ["verdict", "retained", "rank"]
    list_select_related = ["dossier"]
    readonly_fields = ["revision"]
    inlines = [OpinionSignatureInline]


@admin.register(models.JointOpinion)
class JointOpinionAdmin(admin.ModelAdmin):
    list_display = ["committee", "version", "source", "published_at", "sha256"]
    readonly_fields = ["committee", "version", "source", "content", "sha256", "published_at", "published_by"]

    def has_change_permission(self, request, obj=None):
        # A published version is frozen; corrections publish a new version.
        return False


@admin.register(models.Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "outcome", "amount_granted", "notified_at"]
    list_filter = ["outcome"]


@admin.register(models.DepartmentalOpinion)
class DepartmentalOpinionAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "department", "verdict", "given_by", "given_at"]
    list_filter = ["verdict"]


@admin.register(models.Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["dossier", "amount", "starts_on", "ends_on"]
    inlines = [PaymentTrancheInline]


@admin.register(models.Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["dossier", "year", "is_final", "state"]
    readonly_fields = ["state", "submitted_at"]
    list_filter = ["state", "is_final"]
    inlines = [ReportHouseholdsInline, ReportSpendInline]


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "by", "action", "subject"]
    list_filter = ["action"]
    list_select_related = ["by"]
    search_fields = ["subject", "action"]


@admin.register(models.Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations are sent and accepted in the app (core/services/accounts.py): the link's secret is never here."""

    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["organisation"]
    search_fields = ["email"]
    exclude = ["key_hash"]


admin.site.register([models.StateTransition, models.OpinionSignature, models.PaymentTranche], ReadOnlyAdmin)
admin.site.register(
    [
        models.Attachment,
        models.Message,
        models.Note,
        models.ExpertRequest,
        models.DossierStrand,
        models.Territory,
        models.BudgetLine,
        models.ReportHouseholds,
        models.ReportSpend,
    ]
)
