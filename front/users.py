"""Users: invitations and their acceptance, the accounts a user manages, deactivation, the user's own profile."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.formats import french_datetime
from core.models import Committee, Invitation, Membership
from core.permissions import Access
from core.policies import invitable_committees, invitable_organisations, invitable_roles
from core.services.accounts import (
    InvitationRefused,
    account_set_active,
    invitation_accept,
    invitation_digest,
    invitation_send,
    profile_save,
    role_of,
)
from core.workflow import available, guard, guard_who, permits, refusal
from front.fields import DepartmentField, Form


class InvitationForm(Form):
    email = forms.EmailField(label="Adresse électronique", error_messages={"invalid": "Saisissez une adresse valide."})
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    organisation = forms.ModelChoiceField(label="Organisme", queryset=None, empty_label="Choisir un organisme")
    role = forms.ChoiceField(label="Rôle")
    committee = forms.ModelChoiceField(
        label="Comité",
        queryset=Committee.objects.none(),
        required=False,
        empty_label="Aucun (observateur : tous les comités)",
        help_text="Pour un membre ou un instructeur départemental : son comité. Pour un observateur : le comité qu'il "
        "consulte.",
    )
    department = DepartmentField(
        label="Département",
        required=False,
        help_text="Pour un instructeur départemental : le département dont il instruit les dossiers, par son nom ou "
        "son numéro.",
    )

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = invitable_organisations(access)
        self.fields["role"].choices = invitable_roles(access)
        self.fields["committee"].queryset = invitable_committees(access)
        if not (access.is_secretariat or access.chaired_committees()):
            # A landlord's staff invite colleagues only: no committee nor department to choose.
            del self.fields["committee"]
            del self.fields["department"]


class AcceptForm(Form):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    password = forms.CharField(
        label="Mot de passe",
        widget=forms.PasswordInput,
        help_text="Au moins 12 caractères, ni trop courant, ni entièrement numérique, ni proche de votre nom.",
    )
    password_again = forms.CharField(label="Confirmation du mot de passe", widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "Les deux mots de passe ne sont pas identiques.")
        return data


class ProfileForm(Form):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)


def _reader_of_accounts(request: HttpRequest) -> Access:
    access = Access(request.user)
    if not access.reads_accounts:
        raise PermissionDenied("Réservé au secrétariat national, et aux bailleurs pour leurs collègues.")
    return access


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    access = _reader_of_accounts(request)
    memberships = Membership.objects.select_related("organisation", "committee")
    accounts = list(
        access.accounts().prefetch_related(Prefetch("memberships", queryset=memberships)).order_by("username")
    )
    for account in accounts:
        account.actions = available(access, account) & {"account.deactivate", "account.reactivate"}
    invitations = access.invitations().filter(accepted_at__isnull=True).select_related("organisation", "committee")
    return render(
        request,
        "front/account_list.html",
        {
            "title": "Comptes",
            "accounts": accounts,
            "invitations": invitations,
            "can_invite": permits(access, "invitation.send"),
        },
    )


@login_required
def invitation_new(request: HttpRequest) -> HttpResponse:
    access = Access(request.user)
    guard_who(access, "invitation.send")
    # From a committee's page, its departmental instructor (« Inviter un instructeur départemental »).
    initial = {"committee": request.GET.get("comite"), "role": request.GET.get("role")}
    form = InvitationForm(request.POST or None, access=access, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_send(**form.cleaned_data, site=request.build_absolute_uri("/"), by=request.user)
        except InvitationRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"Invitation envoyée à {invitation.email} : son lien vaut 7 jours.")
            # A co-chair invites from its committee's page, and reads no list of accounts.
            if not access.reads_accounts:
                return redirect("committee_detail", pk=invitation.committee_id)
            return redirect("account_list")
    status = 400 if form.errors else 200
    return render(request, "front/invitation_form.html", {"title": "Inviter une personne", "form": form}, status=status)


def invitation_accept_view(request: HttpRequest, key: str) -> HttpResponse:
    """The invitee's page, reached by the e-mailed link: an unknown link is a 404, a spent or expired one says so.
    A new invitee creates their account; an address that has one accepts logged in with it, and the role is added."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("organisation", "committee"), key_hash=invitation_digest(key)
    )
    account = invitation.account()
    title = "Accepter l'invitation" if account else "Créer votre compte"
    context = {"title": title, "invitation": invitation, "account": account}
    reason = refusal(Access(request.user), "invitation.accept", invitation)
    if reason is not None:
        gone = invitation.accepted_at is not None or invitation.expires_at <= timezone.now()
        if invitation.accepted_at:
            reason = (
                f"Cette invitation a déjà été acceptée, le {french_datetime(invitation.accepted_at)} : son lien ne "
                "sert qu'une fois. Connectez-vous avec votre compte."
            )
        # The invitee with an account opens the link before logging in: the page says how, it refuses nothing yet.
        to_log_in = not gone and account is not None and account.is_active and not request.user.is_authenticated
        status = 410 if gone else 200 if to_log_in and request.method == "GET" else 403
        return render(request, "front/invitation_accept.html", {**context, "refused": reason}, status=status)
    if account is not None:
        return _add_role(request, invitation, context)
    names = {"first_name": invitation.first_name, "last_name": invitation.last_name}
    form = AcceptForm(request.POST or None, initial=names)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invitation_accept(invitation=invitation, first_name=data["first_name"], last_name=data["last_name"],
                                     password=data["password"], by=request.user)  # fmt: skip
        except ValidationError as invalid:
            form.add_error("password", invalid)
        except InvitationRefused as refused:
            form.add_error(None, str(refused))
        else:
            login(request, user, backend="demo.auth.DemoAwareBackend")
            messages.success(request, f"Votre compte est créé. Votre identifiant : {user.username}.")
            return redirect("home")
    return render(request, "front/invitation_accept.html", {**context, "form": form})


def _add_role(request: HttpRequest, invitation: Invitation, context: dict) -> HttpResponse:
    """The invitee logged in with the account their address has: a button adds the role to it, nothing else."""
    if request.method == "POST":
        try:
            invitation_accept(invitation=invitation, by=request.user)
        except InvitationRefused as refused:
            return render(request, "front/invitation_accept.html", {**context, "refused": str(refused)}, status=409)
        messages.success(request, f"Invitation acceptée : votre compte a maintenant le rôle {role_of(invitation)}.")
        return redirect("home")
    return render(request, "front/invitation_accept.html", context)


def _set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    access = _reader_of_accounts(request)
    account = get_object_or_404(access.accounts(), pk=pk)
    guard(access, "account.reactivate" if active else "account.deactivate", account)
    account_set_active(user=account, active=active, by=request.user)
    done = "réactivé" if active else "désactivé : ses sessions et ses jetons d'API ne donnent plus accès"
    messages.success(request, f"Le compte {account.username} est {done}.")
    return redirect("account_list")


@require_POST
@login_required
def account_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=False)


@require_POST
@login_required
def account_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=True)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial={"first_name": user.first_name, "last_name": user.last_name})
    if request.method == "POST" and form.is_valid():
        profile_save(user=user, **form.cleaned_data)
        messages.success(request, "Votre profil est enregistré.")
        return redirect("profile")
    access = Access(user)
    return render(
        request,
        "front/profile.html",
        {
            "title": "Mon profil",
            "form": form,
            "memberships": access.memberships,
            "reads_accounts": access.reads_accounts,
        },
    )
