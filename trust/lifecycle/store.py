"""The model store: every trained artifact kept under ``<store>/<detector>/<version>/``, where ``version`` is the
SHA-256 of its ``model.joblib``. Nothing is overwritten: the same content is the same version. (The same training
run in another process can pickle its sets in another order: then it is another version with the same figures.) The store is a folder
by default and any fsspec URL otherwise (``s3://…``, ``memory://…``); a remote model is copied to a local cache
before it is loaded."""

from __future__ import annotations

import hashlib
from pathlib import Path

from trust.detect.artifacts import CARD_FILE, CARD_MARKDOWN, MODEL_FILE

VERSION_CHARS = 16
FILES = (CARD_FILE, CARD_MARKDOWN, MODEL_FILE)  # the model last: a version folder with a model is complete


def content_version(model_file: Path) -> str:
    digest = hashlib.sha256()
    with model_file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:VERSION_CHARS]


class ModelStore:
    def __init__(self, url: str, cache_dir: Path):
        from fsspec.core import url_to_fs
        from fsspec.implementations.local import LocalFileSystem

        self.url = url
        self.fs, self.root = url_to_fs(url)
        self.is_local = isinstance(self.fs, LocalFileSystem)
        self.cache_dir = cache_dir

    def uri(self, detector: str, version: str) -> str:
        return f"{self.url.rstrip('/')}/{detector}/{version}"

    def _path(self, detector: str, version: str) -> str:
        return f"{self.root.rstrip('/')}/{detector}/{version}"

    def has(self, detector: str, version: str) -> bool:
        return self.fs.exists(f"{self._path(detector, version)}/{MODEL_FILE}")

    def put(self, detector: str, source: Path) -> str:
        """Keep the model folder ``source`` (model.joblib and its card) under its content hash; returns the version."""
        model_file = source / MODEL_FILE
        if not model_file.exists():
            raise FileNotFoundError(f"no model at {model_file}: nothing to store")
        version = content_version(model_file)
        target = self._path(detector, version)
        if not self.has(detector, version):
            self.fs.makedirs(target, exist_ok=True)
            for name in FILES:
                if (source / name).exists():
                    self.fs.put_file(str(source / name), f"{target}/{name}")
        return version

    def local_dir(self, detector: str, version: str) -> Path:
        """A local folder holding the version's files (the store itself when it is a folder)."""
        if not self.has(detector, version):
            raise FileNotFoundError(f"model {detector} {version} is not in the model store {self.uri(detector, version)}")
        if self.is_local:
            return Path(self._path(detector, version))
        local = self.cache_dir / detector / version
        if not (local / MODEL_FILE).exists():
            local.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                remote = f"{self._path(detector, version)}/{name}"
                if self.fs.exists(remote):
                    self.fs.get_file(remote, str(local / f"{name}.part"))
                    (local / f"{name}.part").replace(local / name)
        return local


def store_of(settings) -> ModelStore:
    return ModelStore(settings.store_url, settings.data_dir / "model_cache")
