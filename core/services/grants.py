"""Publishing a call's grants as open data (core/grants.py): the secretariat's act, grant by grant."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from core.audit import audit
from core.grants import grant_problem, to_publish
from core.models import Agreement, Call, Dossier
from core.workflow import check


@dataclass
class Published:
    done: list[Agreement] = field(default_factory=list)
    # The grants that could not be published, by dossier, and why.
    failed: list[tuple[Dossier, str]] = field(default_factory=list)


@transaction.atomic
def grants_publish(*, call: Call, by) -> Published:
    """Publish the call's signed agreements not yet published. One whose grantor or beneficiary lacks the number the
    schema asks is reported and blocks no other: the file must be valid, and the others are due all the same."""
    call = Call.objects.select_for_update(of=("self",)).select_related("grantor").get(pk=call.pk)
    check(by, "call.publish_grants", call)
    pending = (
        to_publish(call)
        .select_for_update(of=("self",))
        .select_related("dossier__call__grantor", "dossier__lead_landlord", "dossier__committee")
        .order_by("dossier__committee__name", "dossier__number")
    )
    result, now = Published(), timezone.now()
    for agreement in pending:
        problem = grant_problem(agreement)
        if problem:
            result.failed.append((agreement.dossier, f"subvention non publiée : {problem}"))
            continue
        agreement.published_at = now
        agreement.save(update_fields=["published_at"])
        audit("call.publish_grants", by=by, subject=agreement, dossier=agreement.dossier,
              before={"published_at": None}, after={"published_at": str(now)})  # fmt: skip
        result.done.append(agreement)
    return result
