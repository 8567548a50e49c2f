"""Structured LLM calls on any OpenAI-compatible endpoint (instructor, JSON-schema mode). Every call is
recorded in the cache the caller hands in (the pipeline's is the ``llm_calls`` table): a cached answer is
returned without touching the network."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import cycle
from typing import TYPE_CHECKING, Protocol

import yaml
from pydantic import BaseModel

from ..errors import LLMError

if TYPE_CHECKING:
    from instructor.core.hooks import Hooks


@cache
def config() -> dict:
    """The LLM settings file ``data/llm.yaml``."""
    return yaml.safe_load(resources.files("ingest").joinpath("data/llm.yaml").read_text(encoding="utf-8"))


@dataclass
class Usage:
    """What a batch of calls cost: network calls, cache hits, tokens, model seconds, failures."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    failed: int = 0
    load_seconds: float = 0.0  # starting the embedded model, counted on the call that started it

    def __iadd__(self, other: Usage) -> Usage:
        for name in other.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


class CallCache(Protocol):
    """Where model calls are looked up and recorded: the latest good answer by cache key, and each call's
    attempts as rows (cache key, model, endpoint, prompt version, hashes, request, response, ok, error, tokens,
    duration, time)."""

    def answer(self, key: str) -> str | None: ...

    def record(self, rows: list[dict]) -> None: ...


@dataclass
class Request:
    """One structured call: chat messages, the pydantic model of the answer, an output-token cap."""

    messages: list[dict]
    response_model: type[BaseModel]
    max_tokens: int | None = None


@dataclass
class Result:
    """The answer to a Request (``obj``), or why there is none (``error``; ``truncated`` if cut off)."""

    obj: BaseModel | None
    usage: Usage
    error: str | None = None
    truncated: bool = False
    attempts: list[dict] = field(default_factory=list)


def digest(value: object) -> str:
    """SHA-256 hex of a JSON-serialisable value (sorted keys)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def schema_hash(model: type[BaseModel]) -> str:
    """Hash of a response model's JSON Schema (part of the cache key)."""
    return digest(model.model_json_schema())


def field_guide(model: type[BaseModel]) -> str:
    """The schema's field descriptions as text for the system prompt (small models need them there)."""
    schema = model.model_json_schema()
    lines = []
    for obj in [schema, *schema.get("$defs", {}).values()]:
        for name, prop in obj.get("properties", {}).items():
            allowed = prop.get("enum") or next((p["enum"] for p in prop.get("anyOf", []) if "enum" in p), None)
            text = prop.get("description", "")
            if allowed:
                text += f" One of: {', '.join(map(str, allowed))}."
            lines.append(f"- {name}: {text}".rstrip())
    return "Fields:\n" + "\n".join(dict.fromkeys(lines))


def article_block(text: str) -> str:
    """Article text as delimited data; a closing delimiter inside the text is neutralised."""
    return "<article>\n" + re.sub(r"</?article>", "[article]", text, flags=re.I) + "\n</article>"


def messages(task: str, response_model: type[BaseModel], text: str, note: str = "") -> list[dict]:
    """System prompt (preamble, task, field guide), then the article as a delimited user message."""
    prompts = config()["prompts"]
    system = "\n".join([prompts["preamble"], prompts[task], field_guide(response_model)])
    user = "\n".join(filter(None, [note, article_block(text)]))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def estimate_cost(model: str, usage: Usage) -> float | None:
    """Estimated USD for the usage at list prices, or None for a model with no price entry."""
    price = config()["prices"].get(model)
    if price is None:
        return None
    return (usage.prompt_tokens * price["prompt"] + usage.completion_tokens * price["completion"]) / 1e6


class LLMClient:
    """An OpenAI-compatible chat endpoint driven through instructor in JSON-schema mode.

    ``endpoint`` names the server in cache keys (default: the base URL); the embedded model passes a
    stable name because its port changes every run, and ``start``, which starts the server and returns its
    base URL when the first uncached call needs it.
    """

    def __init__(
        self,
        model: str,
        base_url: str | list[str] | None = None,
        api_key: str | None = None,
        workers: int = 1,
        timeout: float | None = None,
        max_tokens: int | None = None,
        endpoint: str | None = None,
        http_retries: int | None = None,
        start: Callable[[], str] | None = None,
    ):
        cfg = config()
        self.model = model
        self.workers = max(1, workers)
        self.max_tokens = max_tokens
        self.timeout = timeout or cfg["timeout_s"]
        self.http_retries = cfg["http_retries"] if http_retries is None else http_retries
        self.api_key = api_key
        self.progress: Callable[[int], object] = lambda n: None  # told of each answered request (a progress bar)
        self.budget = None  # a budget.Budget: no call is issued once it is reached
        self._start = start
        if start is None:
            self._connect(base_url or os.environ.get("OPENAI_BASE_URL"))
        self.endpoint = endpoint or self.base_url

    def _connect(self, base_url: str | list[str] | None) -> None:
        """Clients of the endpoint, or of several that serve the same model and take the calls in turn."""
        import instructor  # imported here: slow to import, and rules-only runs never connect
        import openai

        urls = base_url if isinstance(base_url, list) else [base_url]
        api_key = self.api_key or os.environ.get("OPENAI_API_KEY") or ("none" if urls[0] else None)
        clients = [
            openai.OpenAI(base_url=url, api_key=api_key, timeout=self.timeout, max_retries=self.http_retries)
            for url in urls
        ]
        self.base_url = ",".join(str(c.base_url) for c in clients)
        self._instructors = cycle([instructor.from_openai(c, mode=instructor.Mode.JSON_SCHEMA) for c in clients])

    def cache_key(self, request: Request) -> tuple[str, str, str]:
        """(cache key, schema hash, input hash) of a request."""
        schema = schema_hash(request.response_model)
        inputs = digest({"messages": request.messages, "max_tokens": self._max_tokens(request)})
        key = digest([self.model, self.endpoint, config()["prompt_version"], schema, inputs])
        return key, schema, inputs

    def complete(
        self,
        messages: list[dict],
        response_model: type[BaseModel],
        cache: CallCache | None = None,
        max_tokens: int | None = None,
    ) -> tuple[BaseModel, Usage]:
        """One structured call (cached); raises LLMError when it still fails after retries."""
        result = self.complete_many([Request(messages, response_model, max_tokens)], cache)[0]
        if result.error:
            raise LLMError(result.error, result.truncated)
        return result.obj, result.usage

    def complete_many(self, requests: list[Request], cache: CallCache | None = None) -> list[Result]:
        """Answer requests in order: cache hits first, the rest over at most ``workers`` parallel calls.

        Only the network calls run in threads; the cache is read and written on this thread.
        """
        keys = [self.cache_key(r) for r in requests]
        results: list[Result | None] = [self._cached(cache, r, k[0]) for r, k in zip(requests, keys, strict=True)]
        todo = [i for i, r in enumerate(results) if r is None]
        self.progress(len(requests) - len(todo))
        load = 0.0
        if todo and self._start is not None:
            t0 = time.perf_counter()
            self._connect(self._start())
            self._start, load = None, time.perf_counter() - t0
        with ThreadPoolExecutor(self.workers) as pool:
            for i, result in zip(todo, pool.map(lambda i: self._call(requests[i]), todo), strict=True):
                if cache is not None:
                    cache.record(self._rows(requests[i], keys[i], result))
                results[i] = result
                self.progress(1)
        if load:
            results[todo[0]].usage.load_seconds = load
        return results

    def _max_tokens(self, request: Request) -> int | None:
        return request.max_tokens or self.max_tokens

    def _cached(self, cache: CallCache | None, request: Request, key: str) -> Result | None:
        answer = cache.answer(key) if cache is not None else None
        if answer is None:
            return None
        return Result(request.response_model.model_validate_json(answer), Usage(cached=1))

    def _call(self, request: Request) -> Result:
        """The network call with instructor's validation retry; each attempt's raw output is kept."""
        if self.budget is not None and not self.budget.reserve():
            return Result(None, Usage(), self.budget.message)
        log = _AttemptLog()
        t0 = time.perf_counter()
        obj, error = None, None
        try:
            obj = next(self._instructors).chat.completions.create(
                model=self.model,
                messages=[dict(m) for m in request.messages],
                response_model=request.response_model,
                max_retries=config()["validation_retries"],
                max_tokens=self._max_tokens(request),
                temperature=0,
                hooks=log.hooks(),
            )
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, the run goes on
            cause = exc.__cause__ or exc
            error = f"{type(cause).__name__}: {cause}".strip().splitlines()[0][:500]
        seconds = time.perf_counter() - t0
        attempts = log.finish(obj is not None, error, seconds)
        usage = Usage(
            calls=sum(a["sent"] for a in attempts),
            prompt_tokens=sum(a["prompt_tokens"] for a in attempts),
            completion_tokens=sum(a["completion_tokens"] for a in attempts),
            seconds=seconds,
            failed=int(obj is None),
        )
        truncated = obj is None and any(a["finish"] == "length" for a in attempts)
        if self.budget is not None:
            self.budget.spend(usage)
        return Result(obj, usage, error, truncated, attempts)

    def _rows(self, request: Request, key: tuple, result: Result) -> list[dict]:
        """The record of a call: one row per attempt."""
        cache_key, schema, inputs = key
        payload = json.dumps(
            {
                "messages": request.messages,
                "response_model": request.response_model.__name__,
                "max_tokens": self._max_tokens(request),
            },
            ensure_ascii=False,
        )
        return [
            {
                "cache_key": cache_key,
                "model": self.model,
                "endpoint": self.endpoint,
                "prompt_version": config()["prompt_version"],
                "schema_hash": schema,
                "input_hash": inputs,
                "request": payload,
                "response": a["response"],
                "ok": int(a["ok"]),
                "error": a["error"],
                "prompt_tokens": a["prompt_tokens"],
                "completion_tokens": a["completion_tokens"],
                "duration_ms": a["seconds"] * 1000,
                "created_at": time.time(),
            }
            for a in result.attempts
        ]


class _AttemptLog:
    """Each attempt of one call, as instructor's hooks report it: raw output, tokens, seconds, error."""

    def __init__(self):
        self.attempts: list[dict] = []
        self.started = 0.0

    def hooks(self) -> Hooks:
        from instructor.core.hooks import Hooks

        hooks = Hooks()
        hooks.on("completion:kwargs", self._start)
        hooks.on("completion:response", self._response)
        hooks.on("completion:error", self._error)
        hooks.on("parse:error", self._parse_error)
        return hooks

    def _start(self, *args, **kwargs) -> None:
        self.started = time.perf_counter()

    def _add(self, raw: str | None, error: str | None, finish: str | None = None, usage=None) -> None:
        self.attempts.append(
            {
                "response": raw,
                "ok": False,
                "error": error,
                "finish": finish,
                "sent": 1,
                "prompt_tokens": getattr(usage, "prompt_tokens", None) or 0,
                "completion_tokens": getattr(usage, "completion_tokens", None) or 0,
                "seconds": time.perf_counter() - self.started,
            }
        )

    def _response(self, response) -> None:
        # Read tokens now: instructor later replaces response.usage with a running total.
        choice = response.choices[0] if getattr(response, "choices", None) else None
        raw = choice.message.content if choice else None
        self._add(raw, None, choice.finish_reason if choice else None, getattr(response, "usage", None))

    def _error(self, error: Exception, **kwargs) -> None:
        raw = getattr(error, "doc", None) or getattr(getattr(error, "response", None), "text", None)
        self._add(raw, f"{type(error).__name__}: {error}"[:500])

    def _parse_error(self, error: Exception, **kwargs) -> None:
        self.attempts[-1]["error"] = f"{type(error).__name__}: {error}"[:2000]

    def finish(self, ok: bool, error: str | None, seconds: float) -> list[dict]:
        """The attempts, the last marked ok or given the final error; one row even if none was sent."""
        if not self.attempts:
            self._add(None, error)
            self.attempts[-1].update(sent=0, seconds=seconds)
        last = self.attempts[-1]
        last["ok"] = ok
        last["error"] = None if ok else last["error"] or error
        return self.attempts
