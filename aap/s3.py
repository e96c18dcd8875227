"""The object storage that aap/storage.py configures: django-storages' S3Storage, with limits on how long it waits, and
whose files are read as they arrive."""

from botocore.config import Config
from botocore.exceptions import ClientError
from django.core.files.base import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class ObjectStorage(S3Storage):
    def get_default_settings(self) -> dict:
        return {**super().get_default_settings(), "connect_timeout": 5, "read_timeout": 30, "max_attempts": 3}

    def __init__(self, **settings):
        super().__init__(**settings)
        limits = Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
        )
        self.client_config = self.client_config.merge(limits)

    def _open(self, name: str, mode: str = "rb") -> File:
        # S3Storage's own file copies the whole object (into memory, by default) before its first byte is read: a
        # download would wait for all of it, and hold all of it.
        if mode != "rb":
            return super()._open(name, mode)
        return StreamedObject(self, name, self._normalize_name(clean_name(name)))


class StreamedObject(File):
    """An object read from the server's answer as it arrives, a block at a time; opened again, asked for again, since
    an answer is read once."""

    def __init__(self, storage: ObjectStorage, name: str, key: str):
        self._storage, self._key, self.name = storage, key, name
        super().__init__(self._get(), name)

    def _get(self):
        try:
            answer = self._storage.connection.meta.client.get_object(Bucket=self._storage.bucket_name, Key=self._key)
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"File does not exist: {self.name}") from error
            raise
        # Known from the answer: a stream cannot be measured by seeking to its end.
        self.size = answer["ContentLength"]
        return answer["Body"]

    def open(self, mode: str | None = None) -> "StreamedObject":
        self.close()
        self.file = self._get()
        return self
