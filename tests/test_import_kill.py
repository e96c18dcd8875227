"""An import killed in the middle of its transaction leaves the database as it found it.

The importer runs in a process of its own, as an operator runs it, and is killed with SIGKILL: no
exception handler, no rollback of its own. It reaches the test's database: on PostgreSQL the test
database itself; on SQLite, whose test database lives in this process's memory, a file copy of it,
copied back (with SQLite's backup API) to be read through the ORM.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from core.models import Dossier, JointOpinion, Opinion
from tests.conftest import DEMO_DATA
from tests.test_backup import database_rows

pytestmark = pytest.mark.django_db(transaction=True)

SEED = DEMO_DATA / "avis-conjoint-paca-2018.txt"

# The importer, paused inside its transaction once it has written three dossiers and their opinions:
# it says so in the marker file (with what it has written, as it sees it), then waits to be killed.
PAUSED_IMPORT = """
import json, sys, time
from pathlib import Path

import django

django.setup()

from django.core.management import call_command

from core.models import Dossier, Opinion
from documents import joint_opinion_import

marker, written = Path(sys.argv[1]), []
write_opinion = joint_opinion_import._opinion


def write_opinion_then_pause(project, *args):
    write_opinion(project, *args)
    written.append(project.number)
    if len(written) == 3:
        seen = {"dossiers": Dossier.objects.count(), "opinions": Opinion.objects.count()}
        # Written aside then renamed: the test, polling for the marker, never reads it half written.
        marker.with_suffix(".part").write_text(json.dumps(seen))
        marker.with_suffix(".part").rename(marker)
        time.sleep(600)


joint_opinion_import._opinion = write_opinion_then_pause
call_command("import_avis_conjoint", sys.argv[2], "--by", "secretariat")
"""


class SharedDatabase:
    """The test database, where another process can reach it."""

    def __init__(self, directory: Path):
        self.file = directory / "aap.sqlite3"

    @property
    def url(self) -> str:
        if connection.vendor == "sqlite":
            return f"sqlite:///{self.file}"
        db = connection.settings_dict
        credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"

    def share(self) -> None:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            with closing(sqlite3.connect(self.file)) as target:
                connection.connection.backup(target)

    def fetch(self) -> None:
        """Make what the other process committed visible to the test's connection."""
        if connection.vendor == "sqlite":
            with closing(sqlite3.connect(self.file)) as source:
                source.backup(connection.connection)

    def run(self, *command: str, log: Path) -> subprocess.Popen:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aap.test_settings", "DATABASE_URL": self.url}
        with log.open("w") as output:
            return subprocess.Popen(
                [sys.executable, *command], cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
            )


def test_a_killed_import_writes_nothing_and_the_next_one_succeeds(cast, tmp_path):
    shared = SharedDatabase(tmp_path)
    shared.share()
    before = database_rows()
    marker, log = tmp_path / "paused", tmp_path / "import.log"

    importer = shared.run("-c", PAUSED_IMPORT, str(marker), str(SEED), log=log)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert importer.poll() is None, f"the importer ended before pausing:\n{log.read_text()}"
        assert time.monotonic() < deadline, "the importer never paused"
        time.sleep(0.05)
    importer.send_signal(signal.SIGKILL)
    assert importer.wait(timeout=30) == -signal.SIGKILL

    # It had written three dossiers in its transaction when it died; none of it is left.
    assert json.loads(marker.read_text()) == {
        "dossiers": Dossier.objects.count() + 3,
        "opinions": Opinion.objects.count() + 3,
    }
    shared.fetch()
    assert database_rows() == before

    done = shared.run("manage.py", "import_avis_conjoint", str(SEED), "--by", "secretariat", log=log)
    assert done.wait(timeout=300) == 0, log.read_text()
    shared.fetch()
    imported = Dossier.objects.filter(committee__region="93")
    assert imported.count() == Opinion.objects.filter(dossier__in=imported).count() == 7
    assert JointOpinion.objects.filter(committee__region="93").count() == 1
