"""KYC files on disk, under ``settings.storage_dir`` (``var/storage``: outside any web root).

A file is stored under a generated key ``kyc/<entity id>/<random id>`` — nothing of the
uploaded name reaches the file system — written to a temporary name, flushed to disk and
renamed into place, readable by the service's user only. Disk work runs in a thread so the
event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from pathlib import Path

from niha.core.ids import new_id


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"storage key escapes the storage root: {key!r}")
        return path

    def _write(self, key: str, data: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise

    async def write(self, entity_id: uuid.UUID, data: bytes) -> str:
        """Store ``data``; returns its key."""
        key = f"kyc/{entity_id}/{new_id().hex}"
        await asyncio.to_thread(self._write, key, data)
        return key

    def _delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()
