"""The cache: in Redis when REDIS_URL names one, shared by every application server; each process's memory otherwise.
Sessions stay in the database either way. Run as an operator would, through manage.py (tests/test_settings.py)."""

import os
import uuid

import pytest

from tests.test_settings import PRODUCTION, manage

REDIS_URL = os.environ.get("REDIS_URL", "")
SESSIONS = "django.contrib.sessions.backends.db"


def shell(script: str, tmp_path, **env: str) -> list[str]:
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


# .ci/run starts Redis and exports REDIS_URL: there, a missing URL fails the test rather than skipping it.
@pytest.mark.skipif(not REDIS_URL and not os.environ.get("CI"), reason="REDIS_URL n'est pas défini")
def test_two_servers_share_the_cache_in_redis(tmp_path):
    key = f"aap-test-{uuid.uuid4().hex}"
    imports = "from django.conf import settings; from django.core.cache import caches; cache = caches['default']; "
    write = f"{imports}cache.set('{key}', 'partagée', 60); print(type(cache).__name__, settings.SESSION_ENGINE)"
    assert shell(write, tmp_path, REDIS_URL=REDIS_URL) == ["RedisCache", SESSIONS]
    # Another process, as another application server: it reads what the first wrote.
    read = f"{imports}print(cache.get('{key}')); cache.delete('{key}'); print(cache.get('{key}'))"
    assert shell(read, tmp_path, REDIS_URL=REDIS_URL) == ["partagée", "None"]


def test_without_redis_each_process_keeps_its_own(tmp_path):
    script = "from django.conf import settings; from django.core.cache import caches; "
    script += "print(type(caches['default']).__name__, settings.SESSION_ENGINE)"
    assert shell(script, tmp_path, REDIS_URL="") == ["LocMemCache", SESSIONS]
