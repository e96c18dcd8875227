"""A synthetic national history of the programme, for load tests, search and the national views.

The same seed and number of dossiers give the same rows, on any database: every value comes from
random.Random(seed), every date from the call's year (never from the clock). Rows are built in memory a
chunk at a time and bulk-inserted, one transaction per chunk, so that memory stays flat.

Primary keys are counted from the largest in each table when the run starts: run it on a database that
nobody writes to meanwhile.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from random import Random

from django.db import transaction

from core.models import Committee, Dossier, JointOpinion, Organisation
from core.services.joint_opinions import snapshot_digest
from synthetic.batch import Batch, Ids, batch_write
from synthetic.dossiers import STAGE, Generation, dossier_build
from synthetic.reference import (
    PRESENT,
    Cast,
    apportion,
    at,
    calls_setup,
    calls_shape,
    cast_setup,
    committees_setup,
    seeded_uuid,
)

CHUNK = 5000


@dataclass
class Generated:
    dossiers: int = 0
    rows: int = 0
    joint_opinions: int = 0
    seconds: float = 0.0


def _publish(rng: Random, uuids: Random, cast: Cast, batch: Batch, committee: Committee, projects: list[dict]) -> None:
    """Version 1 of the committee's avis conjoint, with the content committee_snapshot() gives, built from the
    projects kept in memory: reading them back would cost more than writing them."""
    published_at = at(committee.instructed_on + timedelta(days=rng.randint(3, 10)), 11)
    if not projects or published_at > PRESENT:
        return
    content = {
        "call": committee.call.title,
        "region": committee.name,
        "dossiers_received": len(projects),
        "instructed_on": committee.instructed_on.isoformat(),
        "letterheads": [org.letterhead or org.name for org in reversed(committee.institutions)],
        "projects": projects,
    }
    batch.add(
        JointOpinion,
        committee_id=committee.pk,
        version=1,
        uuid=seeded_uuid(uuids),
        source=JointOpinion.Source.PUBLISHED,
        content=content,
        sha256=snapshot_digest(content),
        published_at=published_at,
        published_by_id=cast.members[committee.region][Organisation.Kind.AR_HLM].pk,
    )


def synthetic_generate(
    *,
    dossiers: int,
    seed: int,
    call_size: int | None = None,
    large_call: int = 0,
    progress: Callable[[str], None] = lambda line: None,
) -> Generated:
    """Add `dossiers` dossiers, spread over the calls since 2014 and the metropolitan regions, with their history:
    twelve calls by default, calls of `call_size` dossiers and one of `large_call` if asked (calls_shape)."""
    started = time.monotonic()
    rng, uuids, ids = Random(seed), Random(f"{seed}/uuid"), Ids()
    result = Generated()
    shape = calls_shape(dossiers, call_size, large_call)
    with transaction.atomic():
        cast = cast_setup(rng, ids)
        calls = calls_setup(uuids, cast, shape)
        plans = committees_setup(rng, uuids, ids, cast, calls)
    # A call that receives no dossier (one in preparation, already in the database) leaves its share to the others.
    per_call = apportion(
        dossiers, [shaped.dossiers if STAGE[call.status] else 0 for call, shaped in zip(calls, shape, strict=True)]
    )
    generation = Generation.start(rng, cast, Batch(ids))

    def flush() -> None:
        batch = generation.batch
        if not batch.rows:
            return
        batch_write(batch)
        generation.written(Batch(ids))
        result.dossiers += batch.count(Dossier)
        result.joint_opinions += batch.count(JointOpinion)
        result.rows += batch.size()
        progress(f"{result.dossiers} dossiers, {result.rows} rows, {time.monotonic() - started:.0f} s")

    for call, shaped, call_plans, call_count in zip(calls, shape, plans, per_call, strict=True):
        counts = apportion(call_count, [plan.place.weight for plan in call_plans])
        for plan, count in zip(call_plans, counts, strict=True):
            projects = []
            for number in range(plan.next_number, plan.next_number + count):
                # Each dossier draws from its own seed: what comes before it (a larger history) leaves it as it is,
                # but for the dossiers it may renew.
                generation.rng = Random(f"{seed}/{shaped.year}/{shaped.rank}/{plan.place.region}/{number}")
                project = dossier_build(generation, plan, number)
                if project is not None:
                    projects.append(project)
                if generation.batch.count(Dossier) >= CHUNK:
                    flush()
            # An avis conjoint has no foreign key to its dossiers: it may go with the batch being built.
            if plan.created and STAGE[call.status] == 3:
                _publish(rng, uuids, cast, generation.batch, plan.committee, projects)
        # A call's retained dossiers must be written before the next call may renew them.
        flush()
    result.seconds = time.monotonic() - started
    return result
