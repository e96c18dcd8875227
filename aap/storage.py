"""Where uploaded and generated files are kept (STORAGES["default"]): the local disk under MEDIA_ROOT by default; an
S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set, so that every application server and worker reads the files
the others wrote.

Read by the settings at every start: nothing here imports boto3, which takes a second to import (aap/s3.py does)."""

from collections.abc import Mapping


def file_storage(environ: Mapping[str, str]) -> dict:
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "aap.s3.ObjectStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            # Unset, boto3 takes AWS's endpoint for the region, and finds the keys where it looks for them (a role).
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("AWS_SECRET_ACCESS_KEY") or None,
            # Private: objects get no ACL of their own (the bucket's owner alone reads them), and no address of an
            # object is handed out, signed or not. Files are downloaded through the views, which check who reads them.
            "default_acl": None,
            "querystring_auth": False,
            # A name already taken gets a suffix, as on disk: a stored file is never replaced by another.
            "file_overwrite": False,
            # A store that does not answer fails the request within seconds rather than holding a worker; the
            # retries ("standard": with back-off) cover a dropped connection or a store asking to slow down.
            "connect_timeout": 5,
            "read_timeout": 30,
            "max_attempts": 3,
        },
    }
