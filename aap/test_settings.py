"""The test suite's settings: production settings with a throwaway key, plain HTTP and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-never-used-outside-the-test-suite")

from aap.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Argon2 stays the production hasher (tested); tests create many users and need speed.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run as they are queued, on commit as in production; tests/test_tasks.py runs the database queue and its worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
# Each test process its own cache, whatever REDIS_URL says: the two workers and the two runs of the suite share no
# state. tests/test_cache.py runs the production settings against Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Login throttling is off here because the client's login() authenticates without a request, which
# django-axes refuses; tests/test_accounts.py turns it on to test it, and tests/test_settings.py checks
# that production has it on.
AXES_ENABLED = False
