"""Production settings come from the environment; these run manage.py as an operator would."""

import json
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


def test_proconnect_turned_on_names_what_it_lacks(tmp_path):
    enabled = {"PROCONNECT_ENABLED": "1", "PROCONNECT_CLIENT_ID": "aap"}
    result = manage("check", AAP_VAR_DIR=str(tmp_path), **enabled, **PRODUCTION)
    assert result.returncode != 0
    assert "PROCONNECT_ENABLED needs PROCONNECT_CLIENT_SECRET, PROCONNECT_AUTHORIZATION_ENDPOINT" in result.stderr


def test_proconnect_logout_is_read_from_the_environment(tmp_path):
    """The end-session endpoint, the ID token kept for it, and its origin allowed to the logout form's redirect."""
    endpoints = ("AUTHORIZATION", "TOKEN", "USERINFO", "JWKS", "LOGOUT")
    enabled = {"PROCONNECT_ENABLED": "1", "PROCONNECT_CLIENT_ID": "aap", "PROCONNECT_CLIENT_SECRET": "secret"}
    enabled |= {f"PROCONNECT_{name}_ENDPOINT": f"https://proconnect.example/{name.lower()}" for name in endpoints}
    script = (
        "from django.conf import settings; print(settings.OIDC_OP_LOGOUT_ENDPOINT, settings.OIDC_STORE_ID_TOKEN, "
        "settings.OIDC_OP_LOGOUT_URL_METHOD, settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    )
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), **PRODUCTION, **enabled)
    assert result.stdout.strip() == (
        "https://proconnect.example/logout True front.proconnect.provider_logout_url "
        "[\"'self'\", 'https://proconnect.example']"
    ), result.stderr


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


def test_production_throttles_logins_and_bounds_sessions(tmp_path):
    script = (
        "import json; from django.conf import settings; from front.accounts import lockout_parameters; "
        "print(json.dumps([settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT, "
        "settings.AXES_COOLOFF_TIME.total_seconds(), settings.AXES_LOCKOUT_PARAMETERS, "
        "lockout_parameters(None, {'username': 'alice'}), "
        "settings.AUTHENTICATION_BACKENDS, settings.SESSION_COOKIE_AGE, "
        "settings.SESSION_MAX_AGE, settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY, "
        "settings.SESSION_COOKIE_SAMESITE, settings.CSRF_COOKIE_SECURE]))"
    )
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert json.loads(result.stdout) == [
        True,
        5,
        15 * 60,
        "front.accounts.lockout_parameters",
        [["username", "ip_address"]],
        ["axes.backends.AxesStandaloneBackend", "demo.auth.DemoAwareBackend"],
        2 * 3600,
        10 * 3600,
        True,
        True,
        "Lax",
        True,
    ], result.stderr


def test_throttling_and_session_lengths_come_from_the_environment(tmp_path):
    script = (
        "from django.conf import settings; "
        "print(settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds(), "
        "settings.SESSION_COOKIE_AGE, settings.SESSION_MAX_AGE)"
    )
    env = {
        "AXES_FAILURE_LIMIT": "3",
        "AXES_COOLOFF_MINUTES": "60",
        "SESSION_IDLE_MINUTES": "30",
        "SESSION_MAX_HOURS": "8",
    }
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), **PRODUCTION, **env)
    assert result.stdout.split() == ["3", "3600.0", "1800", "28800"], result.stderr


def test_production_sends_the_security_headers_over_https(tmp_path):
    script = (
        "from django.test import Client; "
        "r = Client().get('/connexion/', secure=True, headers={'host': 'aap.example.gouv.fr'}); "
        "print(r.status_code); [print(f'{k}: {r[k]}') for k in ("
        "'Strict-Transport-Security', 'Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options', "
        "'Referrer-Policy', 'Cross-Origin-Opener-Policy')]"
    )
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), **PRODUCTION)
    status, *headers = result.stdout.splitlines()
    assert status == "200", result.stderr
    headers = dict(line.split(": ", 1) for line in headers)
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self';" in headers["Content-Security-Policy"] + ";"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_files_go_to_the_bucket_the_environment_names(tmp_path):
    script = (
        "from django.core.files.storage import storages; s = storages['default']; c = s.client_config; "
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.region_name, s.file_overwrite, "
        "s.default_acl, s.querystring_auth, c.connect_timeout, c.read_timeout, c.retries)"
    )
    s3 = {
        "AWS_STORAGE_BUCKET_NAME": "aap-fichiers",
        "AWS_S3_ENDPOINT_URL": "https://s3.fr-par.example.fr",
        "AWS_S3_REGION_NAME": "fr-par",
        "AWS_ACCESS_KEY_ID": "cle",
        "AWS_SECRET_ACCESS_KEY": "secret",
    }
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), **PRODUCTION, **s3)
    assert result.stdout.strip() == (
        "ObjectStorage aap-fichiers https://s3.fr-par.example.fr fr-par False None False 5 30 "
        "{'max_attempts': 3, 'mode': 'standard'}"
    ), result.stderr
    # Without a bucket, the disk under AAP_VAR_DIR.
    script = (
        "from django.core.files.storage import storages; s = storages['default']; print(type(s).__name__, s.location)"
    )
    result = manage("shell", "--no-imports", "-c", script, AAP_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert result.stdout.split() == ["FileSystemStorage", str(tmp_path / "media")], result.stderr
