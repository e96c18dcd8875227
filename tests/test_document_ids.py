"""Documents are named by uuids: the migration gives every existing row its own, and new rows get one."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = [("core", "0001_initial")], [("core", "0002_document_uuids")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_distinct_uuids():
    apps = migrate(BEFORE)
    try:
        Call, Committee, JointOpinion = (apps.get_model("core", name) for name in ("Call", "Committee", "JointOpinion"))
        for edition in (1, 2):
            call = Call.objects.create(title=f"Appel {edition}", edition=edition, year=2018)
            committee = Committee.objects.create(call=call, name="PACA")
            for version in (1, 2):
                JointOpinion.objects.create(committee=committee, version=version, content={}, sha256="0" * 64)
        apps = migrate(AFTER)
        for name in ("Call", "Committee", "JointOpinion"):
            ids = list(apps.get_model("core", name).objects.values_list("uuid", flat=True))
            assert None not in ids and len(set(ids)) == len(ids), name
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
