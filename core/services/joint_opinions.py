"""Published avis conjoint versions: the frozen snapshot that landlords and observers read."""

import hashlib
import json

from core.models import JointOpinion


def snapshot_digest(snapshot: dict) -> str:
    """SHA-256 of the snapshot in a canonical form, so that equal content gives an equal digest."""
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def published_projects(committee_ids) -> dict[tuple[int, int], dict]:
    """The latest published version of each project, keyed by (committee id, project number)."""
    latest: dict[int, JointOpinion] = {}
    for joint_opinion in JointOpinion.objects.filter(committee_id__in=committee_ids).order_by("-version"):
        latest.setdefault(joint_opinion.committee_id, joint_opinion)
    return {
        (committee_id, project["number"]): {**project, "version": joint_opinion.version}
        for committee_id, joint_opinion in latest.items()
        for project in joint_opinion.content["projects"]
    }
