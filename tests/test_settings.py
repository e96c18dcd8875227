"""Production settings come from the environment; these run manage.py as an operator would."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "aap.example.gouv.fr",
}
LOCAL_SETTINGS = {
    "DEBUG",
    "AAP_DEMO",
    "SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in LOCAL_SETTINGS}
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False)


def test_check_deploy_is_clean_in_production(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", AAP_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage("check", AAP_VAR_DIR=str(tmp_path), ALLOWED_HOSTS="aap.example.gouv.fr")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_hashes_passwords_with_argon2_and_sqlite_runs_in_wal_mode(tmp_path):
    script = (
        "from django.conf import settings; from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode'); "
        "print(settings.PASSWORD_HASHERS[0], cursor.fetchone()[0])"
    )
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert result.stdout.split() == ["django.contrib.auth.hashers.Argon2PasswordHasher", "wal"], result.stderr
