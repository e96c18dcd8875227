"""An S3-compatible server for the tests of the object storage: moto's, on loopback.

.ci/run starts one and names it in AAP_TEST_S3_ENDPOINT_URL; without it, the session starts its own on a free port.
Each test that asks for `object_storage` gets a bucket of its own, and the default storage in it, as aap/storage.py
configures it in production."""

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

from aap.storage import file_storage

REGION = "us-east-1"
KEYS = {"aws_access_key_id": "aap-tests", "aws_secret_access_key": "aap-tests"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server stopped ({process.returncode}) before answering")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer on port {port} within {seconds} s")


@pytest.fixture(scope="session")
def s3_endpoint():
    if given := os.environ.get("AAP_TEST_S3_ENDPOINT_URL"):
        yield given
        return
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass
class Bucket:
    name: str
    client: object

    def names(self) -> list[str]:
        return [item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", [])]

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def object_storage(s3_endpoint, settings) -> Bucket:
    """A bucket of the test's own, and the default storage in it."""
    import boto3  # here: a second to import, for the few tests that use it

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **KEYS)
    bucket = Bucket(f"aap-tests-{uuid.uuid4().hex[:16]}", client)
    client.create_bucket(Bucket=bucket.name)
    environ = {
        "AWS_STORAGE_BUCKET_NAME": bucket.name,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": KEYS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": KEYS["aws_secret_access_key"],
    }
    settings.STORAGES = {**settings.STORAGES, "default": file_storage(environ)}
    yield bucket
    for key in bucket.names():
        client.delete_object(Bucket=bucket.name, Key=key)
    client.delete_bucket(Bucket=bucket.name)
