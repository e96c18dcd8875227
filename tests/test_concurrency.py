"""Many members saving the same opinion at once: one wins, the others are told, nothing is lost.

PostgreSQL only: SQLite serialises every writer of the database, the test database is in memory
and shared by the threads' connections, and production runs many workers on PostgreSQL.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from core.models import Opinion
from core.services.opinions import OpinionConflict, opinion_save

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers are a PostgreSQL matter (production)"
    ),
]

THREADS = 20
EDITS_PER_THREAD = 10


def together(work) -> list:
    """Run `work(index)` in THREADS threads released at once, each on its own database connection."""
    barrier = threading.Barrier(THREADS, timeout=30)

    def run(index: int):
        try:
            barrier.wait()
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def save(cast, expected_revision: int, remarks: str) -> Opinion:
    return opinion_save(
        dossier=cast.dossier,
        by=cast.users["member"],
        expected_revision=expected_revision,
        verdict="favorable",
        questions="",
        remarks=remarks,
        retained=True,
        rank="P1",
    )


@pytest.mark.parametrize("first_opinion", [False, True], ids=["existing opinion", "first opinion"])
def test_same_base_revision_one_winner_and_nineteen_conflicts(cast, first_opinion):
    if first_opinion:
        cast.dossier.opinion.delete()
    base = 0 if first_opinion else cast.dossier.opinion.revision

    def attempt(index: int) -> str:
        try:
            save(cast, base, f"Rédaction du membre {index}")
        except OpinionConflict:
            return "conflict"
        return f"Rédaction du membre {index}"

    outcomes = together(attempt)

    winners = [outcome for outcome in outcomes if outcome != "conflict"]
    assert (len(winners), outcomes.count("conflict")) == (1, THREADS - 1)
    opinion = Opinion.objects.get(dossier=cast.dossier)
    assert (opinion.remarks, opinion.revision) == (winners[0], base + 1)
    print(f"\n{THREADS} threads, {THREADS} writes from revision {base}: 1 winner, {THREADS - 1} conflicts")


def test_retrying_editors_lose_no_update(cast):
    base = cast.dossier.opinion.revision

    def edit(index: int) -> tuple[list[tuple[int, str]], int]:
        """EDITS_PER_THREAD saves, each re-read and retried until it goes through."""
        saved, attempts = [], 0
        for number in range(EDITS_PER_THREAD):
            remarks = f"Membre {index}, modification {number}"
            while True:
                attempts += 1
                revision = Opinion.objects.get(dossier=cast.dossier).revision
                try:
                    saved.append((save(cast, revision, remarks).revision, remarks))
                    break
                except OpinionConflict:
                    continue
        return saved, attempts

    results = together(edit)

    saved = sorted(save for thread_saves, _ in results for save in thread_saves)
    attempts = sum(thread_attempts for _, thread_attempts in results)
    opinion = Opinion.objects.get(dossier=cast.dossier)
    history = set(opinion.history.filter(revision__gt=base).values_list("revision", "remarks"))
    lost = [save for save in saved if save not in history]
    print(
        f"\n{THREADS} threads x {EDITS_PER_THREAD} edits: {attempts} writes attempted, {len(saved)} saved, "
        f"{attempts - len(saved)} conflicts retried, {len(lost)} lost updates"
    )
    assert lost == []
    assert len(saved) == len(history) == THREADS * EDITS_PER_THREAD
    # Every save got its own revision, one after the other, and the last is the stored one.
    assert [revision for revision, _ in saved] == list(range(base + 1, base + len(saved) + 1))
    assert (opinion.revision, opinion.remarks) == saved[-1]
