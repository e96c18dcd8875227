"""Accounts: invitations by e-mail, their acceptance, deactivation, the user's own profile."""

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from core import departments
from core.audit import audit
from core.formats import french_datetime
from core.models import Committee, Invitation, Membership, Organisation
from core.models.accounts import account_for
from core.policies import may_sit_on_committee
from core.services.conflicts import refused_on_conflict
from core.tasks import enqueue_on_commit
from core.workflow import check

INVITATION_DAYS = 7


class InvitationRefused(Exception):
    """The message is for the user."""


def invitation_digest(secret: str) -> str:
    # The secret carries 256 random bits: a plain SHA-256 resists guessing without a slow hash.
    return hashlib.sha256(secret.encode()).hexdigest()


def _coherent(invitation: Invitation) -> None:
    """The membership the invitation promises must be one the app can hold."""
    role, organisation, committee = invitation.role, invitation.organisation, invitation.committee
    if role == Membership.Role.COMMITTEE_MEMBER:
        if committee is None:
            raise InvitationRefused("Choisissez le comité dont la personne invitée sera membre.")
        if committee.seat_of(organisation.pk) is None:
            seated = ", ".join(str(org) for org in committee.institutions + committee.advisers)
            raise InvitationRefused(
                f"Un membre du comité {committee.name} représente l'une de ses institutions co-présidentes ou l'un de "
                f"ses membres à voix consultative : {seated}."
            )
    elif role == Membership.Role.DEPARTMENTAL_INSTRUCTOR:
        if committee is None or not invitation.department:
            raise InvitationRefused(
                "Choisissez le comité et le département dont l'instructeur départemental pré-instruit les dossiers."
            )
        if organisation.kind != Organisation.Kind.DEPARTMENTAL_SERVICE:
            raise InvitationRefused(
                f"« {organisation} » n'est pas un service départemental de l'État : un instructeur départemental "
                "donne l'avis de son service."
            )
    elif role == Membership.Role.LANDLORD_STAFF:
        if organisation.kind not in Organisation.CARRIER_KINDS:
            raise InvitationRefused(
                f"« {organisation} » n'est ni un bailleur social ni une association : il ne porte pas de dossier."
            )
        invitation.committee = None
    if role != Membership.Role.DEPARTMENTAL_INSTRUCTOR:
        invitation.department = ""


def _membership_of(invitation: Invitation) -> dict:
    """The membership the invitation gives, as the fields of its row."""
    return {"organisation": invitation.organisation, "role": invitation.role, "committee": invitation.committee,
            "department": invitation.department}  # fmt: skip


def _addable(invitation: Invitation, account: User) -> None:
    """The role an invitation adds to an existing account must be one it lacks, and may hold."""
    if not account.is_active:
        raise InvitationRefused(
            f"Le compte de l'adresse {invitation.email} est désactivé : réactivez-le avant de lui ajouter un rôle."
        )
    memberships = list(account.memberships.all())
    held = {(m.organisation_id, m.role, m.committee_id, m.department) for m in memberships}
    if (invitation.organisation_id, invitation.role, invitation.committee_id, invitation.department) in held:
        raise InvitationRefused(f"Le compte de l'adresse {invitation.email} a déjà ce rôle : {role_of(invitation)}.")
    if invitation.role == Membership.Role.COMMITTEE_MEMBER and not may_sit_on_committee(memberships):
        raise InvitationRefused(
            f"Le compte de l'adresse {invitation.email} est celui d'un membre du secrétariat national, qui ne siège "
            "dans aucun comité."
        )


def role_of(invitation: Invitation) -> str:
    """The role an invitation gives, as a sentence says it: "membre de comité régional du comité X, pour Y"."""
    return f"{invitation.get_role_display().lower()}{_where(invitation)}, pour {invitation.organisation}"


def _where(invitation: Invitation) -> str:
    """The committee, and the department, of the role an invitation gives, as a sentence says it."""
    where = f" du comité {invitation.committee.name}" if invitation.committee else ""
    return where + (f" ({departments.label(invitation.department)})" if invitation.department else "")


@transaction.atomic
def invitation_send(
    *, email: str, organisation: Organisation, role: str, committee: Committee | None = None, department: str = "",
    first_name: str = "", last_name: str = "", site: str, by,
) -> Invitation:  # fmt: skip
    """Invite someone to an account with one membership, or to add it to the account their address already has;
    `site` is the app's address, for the e-mailed link."""
    email = email.strip()
    invitation = Invitation(
        email=email, first_name=first_name.strip(), last_name=last_name.strip(), organisation=organisation,
        role=role, committee=committee, department=department, invited_by=by,
    )  # fmt: skip
    check(by, "invitation.send", invitation)
    _coherent(invitation)
    if (account := account_for(email)) is not None:
        _addable(invitation, account)
    # Its link is made when the e-mail is sent (invitation_mail): the secret is then in the e-mail alone, never in the
    # queue's table. Until then the invitation answers to no link.
    invitation.key_hash = invitation_digest(secrets.token_urlsafe(32))
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.full_clean()
    invitation.save()
    audit("invitation.send", by=by, subject=invitation, committee=invitation.committee,
          after={"email": email, "organisation": str(organisation), "role": role,
                 "existing_account": account is not None})  # fmt: skip
    enqueue_on_commit(invitation_mail, invitation.pk, site)
    return invitation


@task()
@transaction.atomic
def invitation_mail(invitation_id: int, site: str) -> int:
    """E-mails the invitation's link, made here with a new secret: a link sent earlier stops working. An invitation
    accepted or expired in the meantime is not sent."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation", "invited_by", "committee")
        .get(pk=invitation_id)
    )
    if invitation.accepted_at or invitation.expires_at <= timezone.now():
        return 0
    secret = secrets.token_urlsafe(32)
    invitation.key_hash = invitation_digest(secret)
    invitation.save(update_fields=["key_hash"])
    link = urljoin(site, reverse("invitation_accept", args=[secret]))
    inviter = invitation.invited_by.get_full_name() or invitation.invited_by.username
    role = f"pour {invitation.organisation}, comme {invitation.get_role_display().lower()}{_where(invitation)}"
    if invitation.account() is None:
        subject = "Invitation à rejoindre aap"
        invited = (
            f"{inviter} vous invite à rejoindre aap, l'outil des {settings.AAP_SERVICE}, {role}.\n\n"
            "Pour créer votre compte et choisir votre mot de passe, ouvrez ce lien :"
        )
    else:
        subject = "Un nouveau rôle dans aap"
        invited = (
            f"{inviter} vous invite à un nouveau rôle dans aap, {role}.\n\nPour l'ajouter à votre compte, ouvrez ce "
            "lien et connectez-vous comme d'habitude, avec votre identifiant ou ProConnect :"
        )
    body = (
        f"Bonjour,\n\n{invited}\n{link}\n\n"
        f"Il ne sert qu'une fois et expire le {french_datetime(invitation.expires_at)}. "
        "Si vous n'attendiez pas cette invitation, ignorez ce message.\n\n"
        f"— aap, {settings.AAP_SERVICE}"
    )
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, by, first_name: str = "", last_name: str = "", password: str = ""
) -> User:
    """Give the invitation's membership and spend the link. To a new account, with the invitee's name and password
    (django's ValidationError for a password the validators refuse); or, when the address already has an account, to
    that account, which `by` must be (the workflow's check): its name and password stay as they are."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    check(by, "invitation.accept", invitation)
    user = invitation.account()
    if user is None:
        user = User(
            username=invitation.email.lower(), email=invitation.email, first_name=first_name.strip(),
            last_name=last_name.strip(),
        )  # fmt: skip
        validate_password(password, user)
        user.set_password(password)
        # Another invitation to the same address, accepted at the same moment, made the account first.
        made = InvitationRefused(
            f"Un compte existe déjà pour l'adresse {invitation.email} : connectez-vous avec ce compte, puis rouvrez "
            "le lien."
        )
        with refused_on_conflict(made):
            user.save()
        existing = False
    else:
        existing = True
    # Given since the invitation was sent (another invitation, the admin): nothing left to give.
    held = InvitationRefused(f"Votre compte a déjà ce rôle : {role_of(invitation)}.")
    if existing and user.memberships.filter(**_membership_of(invitation)).exists():
        raise held
    with refused_on_conflict(held):
        membership = Membership.objects.create(user=user, **_membership_of(invitation))
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    after = {"user": user.username, "organisation": str(invitation.organisation), "role": invitation.role,
             "existing_account": existing}  # fmt: skip
    audit("invitation.accept", by=user, subject=membership, committee=invitation.committee, after=after)
    return user


@transaction.atomic
def account_set_active(*, user: User, active: bool, by) -> User:
    """Deactivate an account (its sessions end at their next request, its API tokens are revoked), or reactivate
    it. Its memberships stay: the history names who acted."""
    user = User.objects.select_for_update().get(pk=user.pk)
    check(by, "account.reactivate" if active else "account.deactivate", user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        # Revoked, not only refused while inactive: a reactivated account starts without its old tokens.
        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit("account.reactivate" if active else "account.deactivate", by=by, subject=user.username,
          before={"is_active": not active}, after={"is_active": active})  # fmt: skip
    return user


def profile_save(*, user: User, first_name: str, last_name: str) -> User:
    """The user's own name. The e-mail address is not theirs to change: it is what ProConnect matches."""
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.full_clean()
    user.save(update_fields=["first_name", "last_name"])
    return user


@task()
def password_reset_send(email: str, domain: str, use_https: bool) -> None:
    """Sends the reset link to the accounts of `email`, if there are any."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        # Rendered outside any request: the templates' context processors do not run.
        form.save(
            domain_override=domain, use_https=use_https, extra_email_context={"AAP_SERVICE": settings.AAP_SERVICE}
        )
