"""Child processes for the integration tests and the crash bench: the Node puppet service (tests/peer) and the
real bot, with their output lines collected by threads."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
PEER = ROOT / "tests" / "peer"
TOKEN = "insecure_banzhu_test"


def need_peer() -> None:
    """Skip the calling test module (saying why) where Node or the puppet service's packages are missing; on CI
    (`CI` set) that is a failure, not a skip."""
    import shutil

    import pytest

    missing = ("Node.js is not installed" if shutil.which("node") is None else
               "tests/peer/node_modules is missing: run `make test` (it runs npm ci)"
               if not (PEER / "node_modules" / "wechaty-puppet-service").exists() else None)
    if missing and os.environ.get("CI"):
        pytest.fail(f"{missing} (CI must run the WeChat integration tests)", pytrace=False)
    if missing:
        pytest.skip(missing, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process whose output lines are collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, stream: str = "stdout") -> None:
        self.p = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.all: list[str] = []
        self.err: list[str] = []
        for name, pipe in (("stdout", self.p.stdout), ("stderr", self.p.stderr)):
            threading.Thread(target=self._pump, args=(pipe, name == stream, name), daemon=True).start()

    def _pump(self, pipe, main: bool, name: str) -> None:
        for line in pipe:
            line = line.rstrip("\n")
            (self.all if main else self.err).append(line)
            if main:
                self.lines.put(line)

    def wait_for(self, pred, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.p.poll() is not None:
                    break
                continue
            if pred(line):
                return line
        raise AssertionError("timed out; last lines:\n" + "\n".join(self.all[-30:]) + "\nstderr:\n"
                             + "\n".join(self.err[-30:]))

    def send(self, line: str) -> None:
        assert self.p.stdin is not None
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout=5)


class Peer(Proc):
    def __init__(self, port: int, scenario: Path | None = None) -> None:
        env = {**os.environ, "PORT": str(port), "TOKEN": TOKEN}
        if scenario is not None:
            env["SCENARIO"] = str(scenario)
        super().__init__(["node", "server.mjs"], env, PEER)
        self.port = port
        self.wait_for(lambda line: '"ready"' in line, timeout=60)

    def command(self, **cmd: Any) -> None:
        self.send(json.dumps(cmd, ensure_ascii=False))

    def events(self, kind: str) -> list[dict]:
        out = []
        for line in self.all:
            if line.startswith("{"):
                obj = json.loads(line)
                if obj.get("event") == kind:
                    out.append(obj)
        return out

    def next_say(self, timeout: float = 30.0) -> dict:
        return json.loads(self.wait_for(lambda line: '"bot-say"' in line, timeout))
