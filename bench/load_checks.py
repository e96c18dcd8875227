"""What bench/load.py judges a run by: the writes the users were told succeeded, looked for in the database, and the
figures against the targets."""

import re
import time
from collections import Counter

TARGETS = {"page_p95_ms": 250, "saturation_over_floor": 0.5}


def verify(config: dict, writes: dict) -> dict:
    """Once the worker has emptied the queue: every write the users were told succeeded, looked for in the
    database (lost), found more than once (doubled); those written but never acknowledged (in flight when an
    instance died or the run stopped); exports by state and whether their file is in the storage."""
    from django.db import connection
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from core.models import Export, Message, Note

    connection.close()
    deadline = time.monotonic() + 120
    pending = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    while DBTaskResult.objects.filter(status__in=pending).exists() and time.monotonic() < deadline:
        time.sleep(1)
    checked = {}
    for kind, model in (("message", Message), ("note", Note)):
        bodies = model.objects.filter(body__contains=config["run"]).values_list("body", flat=True)
        stored = Counter(re.findall(rf"{config['run']}-{kind}-[0-9a-f]{{12}}", "\n".join(bodies)))
        told = {write["marker"] for write in writes[kind]}
        checked[kind] = {
            "acknowledged": len(told),
            "lost": sorted(told - stored.keys()),
            "doubled": sorted(marker for marker, n in stored.items() if n > 1),
            "written_unacknowledged": len(stored.keys() - told),
        }
    told = {write["uuid"] for write in writes["export"]}
    exports = list(Export.objects.filter(requested_by__username__startswith="charge."))
    found = {str(export.uuid): export for export in exports}
    ready = [export for export in exports if export.state == Export.State.READY]
    checked["export"] = {
        "acknowledged": len(told),
        "lost": sorted(told - found.keys()),
        "written_unacknowledged": len(found.keys() - told),
        "states": dict(Counter(export.state for export in exports)),
        "files_missing": sum(not export.file.storage.exists(export.file.name) for export in ready),
    }
    checked["tasks"] = dict(Counter(DBTaskResult.objects.values_list("status", flat=True)))
    return checked


def summary(results: dict) -> dict:
    """The figures against the targets."""
    floor, signed_in, saturation = results["floor"], results["signed_in_floor"], results["saturation"]
    ramps = [("floor", floor), ("signed_in_floor", signed_in), ("saturation", saturation)]
    steady, kill = results.get("steady"), results.get("kill")
    # In flight on the killed instance: under way at some moment between the signal and its port's refusal.
    outside = (
        [f for f in kill["failed_requests"] if not (f["start"] <= kill["dead"] and kill["killed"] <= f["end"])]
        if kill
        else []
    )
    errors = sum(step["total"]["failures"] for _, ramp in ramps for step in ramp["steps"])
    errors += (steady["total"]["failures"] if steady else 0) + len(outside)
    lost = sum(len(results["writes"][kind]["lost"]) for kind in ("message", "note", "export"))
    ratio = round(saturation["saturation_rps"] / floor["saturation_rps"], 2) if floor["saturation_rps"] else 0
    page_p95 = steady["kinds"]["page"]["p95_ms"] if steady else None
    # Where the time went at --users: each kind's requests × their mean response time (queueing included).
    spent = {kind: f["requests"] * f["mean_ms"] for kind, f in steady["kinds"].items()} if steady else {}
    # Where the CPU went at each ramp's best step: what a request costs each part of the stack.
    best = {name: max(ramp["steps"], key=lambda step: step["total"]["requests_per_second"]) for name, ramp in ramps}
    phases = [*(step for _, ramp in ramps for step in ramp["steps"]), *(p for p in (steady, kill) if p)]
    return {
        "floor_rps": floor["saturation_rps"],
        "saturation_rps": saturation["saturation_rps"],
        "saturation_over_floor": ratio,
        # For information: the target is against the floor above, which no signed-in page can reach.
        "signed_in_floor_rps": signed_in["saturation_rps"],
        "saturation_over_signed_in_floor": (
            round(saturation["saturation_rps"] / signed_in["saturation_rps"], 2) if signed_in["saturation_rps"] else 0
        ),
        "page_p50_p95_p99_ms": [steady["kinds"]["page"][f"p{p}_ms"] for p in (50, 95, 99)] if steady else None,
        "errors_outside_killed_in_flight": errors,
        "kill_failures_in_flight": len(kill["failed_requests"]) - len(outside) if kill else None,
        "warm_up_failures": sum(failure["count"] for phase in phases for failure in phase["warm_up_failures"]),
        "time_share_by_kind": {kind: round(t / sum(spent.values()), 2) for kind, t in spent.items()},
        "writes_lost": lost,
        "cpu_ms_per_request": {
            name: {program: used["ms_per_request"] for program, used in step["cpu"].items()}
            for name, step in best.items()
        },
        "met": {
            "errors": errors == 0,
            "page_p95": page_p95 is not None and page_p95 <= TARGETS["page_p95_ms"],
            "throughput": ratio >= TARGETS["saturation_over_floor"],
            "no_write_lost": lost == 0,
        },
    }
