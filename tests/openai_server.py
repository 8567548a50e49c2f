"""A real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on demand, for the model tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import pytest
from pydantic import BaseModel, Field


class Pick(BaseModel):
    kind: Literal["investment", "valuation"] = Field(description="What the figure is.")
    subject: str | None = Field(None, description="The investor.")


GOOD = json.dumps({"kind": "investment", "subject": "Amazon"})


class FakeServer:
    """Serves POST /v1/chat/completions; each request takes the next scripted behaviour (default: GOOD)."""

    def __init__(self):
        self.script: list[dict] = []
        self.requests: list[dict] = []
        self.times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.body = body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.requests.append(body)
                    fake.times.append(time.monotonic())
                    step = fake.script.pop(0) if fake.script else {}
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    time.sleep(step.get("delay", 0))
                    self.reply(step)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with fake.lock:
                        fake.in_flight -= 1

            def reply(self, step):
                status = step.get("status", 200)
                if "raw" in step:
                    data = step["raw"].encode()
                elif status != 200:
                    data = json.dumps({"error": {"message": f"status {status}", "type": "server_error"}}).encode()
                else:
                    content = step.get("content", GOOD)
                    content = content(self.body) if callable(content) else content
                    data = json.dumps(completion(content, step.get("finish", "stop"))).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in step.get("headers", {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()


def completion(content: str, finish: str) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
    }


@pytest.fixture
def server():
    """A fresh misbehaving-on-demand server."""
    s = FakeServer()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()
