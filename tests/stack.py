"""Start the whole assistant on free loopback ports for end-to-end tests, reliability tests and benchmarks.

Each process gets its own temporary databases; nothing touches var/. The model is the one `make model` built.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
RASA = str(Path(PY).with_name("rasa"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 180.0, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log and log.exists() else ""
            raise RuntimeError(f"process for {url} exited with {proc.returncode}\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except Exception:
            time.sleep(0.5)
    raise TimeoutError(f"{url} not up after {timeout}s")


def base_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.update(TF_CPP_MIN_LOG_LEVEL="2", SQLALCHEMY_SILENCE_UBER_WARNING="1", RASA_TELEMETRY_ENABLED="false",
               PYTHONWARNINGS="ignore", PYTHONHASHSEED="0")
    env.update(extra)
    return env


class Stack:
    """Action server(s), Rasa replica(s) and the web front, as child processes."""

    def __init__(self, replicas: int = 1, endpoints: str | None = None, env: dict | None = None,
                 workdir: Path | None = None, web_env: dict | None = None, action_servers: int = 1,
                 model: str = "models"):
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="hegui-stack-"))
        self.replicas = replicas
        self.action_servers = action_servers
        self.model = model
        self.endpoints = endpoints
        self.extra_env = env or {}
        self.web_env = web_env or {}
        self.token = secrets.token_urlsafe(16)
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.logs: dict[str, Path] = {}

    # ---------------------------------------------------------------- processes
    def _spawn(self, name: str, cmd: list[str], env: dict) -> subprocess.Popen:
        log = self.dir / f"{name}.log"
        self.logs[name] = log
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def action_name(self, i: int) -> str:
        return "actions" if i == 0 else f"actions{i}"

    def start_actions(self, i: int = 0) -> None:
        name = self.action_name(i)
        port = self.ports.setdefault(name, free_port())
        env = base_env(SANIC_HOST="127.0.0.1", HEGUI_KB_SOURCE="files", **self.extra_env)
        self._spawn(name, [RASA, "run", "actions", "--actions", "actions", "--port", str(port)], env)

    def start_rasa(self, i: int) -> None:
        port = self.ports.setdefault(f"rasa{i}", free_port())
        actions = self.ports[self.action_name(i % self.action_servers)]
        env = base_env(ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions}/webhook",
                       TRACKER_SQLITE_PATH=str(self.dir / "tracker.db"), **self.extra_env)
        cmd = [RASA, "run", "--model", self.model, "--endpoints", self.endpoints or "bot/endpoints.yml",
               "--credentials", "bot/credentials.yml", "--interface", "127.0.0.1", "--port", str(port),
               "--enable-api", f"--auth-token={self.token}"]  # "=": a token may start with "-"
        self._spawn(f"rasa{i}", cmd, env)

    def start_web(self) -> None:
        port = self.ports.setdefault("web", free_port())
        urls = ",".join(f"http://127.0.0.1:{self.ports[f'rasa{i}']}" for i in range(self.replicas))
        env = base_env(WEB_HOST="127.0.0.1", WEB_PORT=str(port), RASA_URLS=urls, RASA_TOKEN=self.token,
                       WEB_DATABASE_URL=f"sqlite:///{self.dir / 'web.db'}",
                       TRACKER_SQLITE_PATH=str(self.dir / "tracker.db"), RATE_LIMIT_PER_MINUTE="100000",
                       **{**self.extra_env, **self.web_env})
        self._spawn("web", [PY, "-m", "bot.web"], env)

    def start(self) -> Stack:
        for i in range(self.action_servers):
            self.start_actions(i)
        # replicas start one after the other: the first creates the tracker tables the others then share
        for i in range(self.replicas):
            self.start_rasa(i)
            wait_http(f"{self.rasa_url(i)}/", proc=self.procs[f"rasa{i}"], log=self.logs[f"rasa{i}"])
        for i in range(self.action_servers):
            name = self.action_name(i)
            wait_http(f"http://127.0.0.1:{self.ports[name]}/health", proc=self.procs[name], log=self.logs[name])
        self.start_web()
        wait_http(f"{self.url}/healthz", proc=self.procs["web"], log=self.logs["web"])
        return self

    def restart(self, name: str) -> None:
        """Start a stopped process again on its old port."""
        if name.startswith("rasa"):
            self.start_rasa(int(name[4:]))
            wait_http(f"{self.rasa_url(int(name[4:]))}/", proc=self.procs[name])
        elif name.startswith("actions"):
            i = 0 if name == "actions" else int(name[7:])
            self.start_actions(i)
            wait_http(f"http://127.0.0.1:{self.ports[name]}/health", proc=self.procs[name])

    def stop_process(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.get(name)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop(self) -> None:
        for name in list(self.procs):
            self.stop_process(name)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- addresses
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['web']}"

    def rasa_url(self, i: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[f'rasa{i}']}"

    def log_tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.logs[name].read_text(errors="replace").splitlines()[-lines:])
