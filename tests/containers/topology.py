"""docker-compose.yml started with podman-compose on this machine, for `make containers`.

Every container shares the host's network (deploy/containers/compose.host-network.yml), so each service gets a
free loopback port and a project name of its own: the machine's PostgreSQL (5432), Redis (6379) and anyone
else's stack are left alone. podman older than 4.6 ignores `depends_on: condition: service_healthy` and runs no
periodic health checks without systemd, so `up` starts the services in dependency order itself and waits for
each dependency's own image health check (`podman healthcheck run`) as compose would.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import yaml

from tests.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = [ROOT / "docker-compose.yml", ROOT / "deploy" / "containers" / "compose.host-network.yml"]
PORT_VARIABLES = {"web": "HEGUI_WEB_PORT", "postgres": "HEGUI_PG_PORT", "redis": "HEGUI_REDIS_PORT",
                  "rasa1": "HEGUI_RASA1_PORT", "rasa2": "HEGUI_RASA2_PORT",
                  "actions1": "HEGUI_ACTIONS1_PORT", "actions2": "HEGUI_ACTIONS2_PORT"}


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=timeout)


class ComposeTopology:
    def __init__(self, project: str | None = None, env: dict | None = None):
        self.project = project or f"hegui-ct-{secrets.token_hex(3)}"
        self.ports = {service: free_port() for service in PORT_VARIABLES}
        self.password = secrets.token_urlsafe(16)
        self.env = {
            **{var: str(self.ports[service]) for service, var in PORT_VARIABLES.items()},
            "POSTGRES_PASSWORD": self.password,
            "RASA_TOKEN": secrets.token_urlsafe(16),
            "WEB_SECRET_KEY": secrets.token_urlsafe(32),
            "PUBLIC_URL": f"http://127.0.0.1:{self.ports['web']}",
            **(env or {}),
        }
        self.services = yaml.safe_load(COMPOSE_FILES[0].read_text())["services"]

    # ---------------------------------------------------------------- compose
    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "podman_compose", "-p", self.project]
        for f in COMPOSE_FILES:
            cmd += ["-f", str(f)]
        return subprocess.run([*cmd, *args], cwd=ROOT, env={**os.environ, **self.env}, capture_output=True,
                              text=True, timeout=timeout)

    def order(self) -> list[str]:
        """Services with every dependency before its dependents (compose's start order)."""
        done: list[str] = []

        def visit(name: str) -> None:
            if name not in done:
                for dep in self.services[name].get("depends_on", {}):
                    visit(dep)
                done.append(name)

        for name in self.services:
            visit(name)
        return done

    def up(self, timeout: float = 600) -> ComposeTopology:
        deadline = time.monotonic() + timeout
        for name in self.order():
            for dep, rule in self.services[name].get("depends_on", {}).items():
                if (rule or {}).get("condition") == "service_healthy":
                    self.wait_healthy(dep, deadline - time.monotonic())
            r = self.compose("up", "-d", "--no-build", "--no-deps", name)
            if r.returncode != 0:
                raise RuntimeError(f"podman-compose up {name} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
        for name in self.services:
            self.wait_healthy(name, deadline - time.monotonic())
        return self

    def down(self) -> None:
        self.compose("down", "-v", "-t", "5")
        # whatever compose did not remove (a failed start): this project's containers and volumes only
        label = f"label=io.podman.compose.project={self.project}"
        ids = podman("ps", "-aq", "--filter", label, check=False).stdout.split()
        if ids:
            podman("rm", "-f", "-t", "0", *ids, check=False)
        vols = podman("volume", "ls", "-q", "--filter", label, check=False).stdout.split()
        if vols:
            podman("volume", "rm", "-f", *vols, check=False)

    # ---------------------------------------------------------------- containers
    def container(self, service: str) -> str:
        names = podman("ps", "-a", "--format", "{{.Names}}", "--filter",
                       f"label=io.podman.compose.project={self.project}", "--filter",
                       f"label=com.docker.compose.service={service}").stdout.split()
        if len(names) != 1:
            raise LookupError(f"{service}: containers {names}")
        return names[0]

    def state(self, service: str) -> dict:
        return json.loads(podman("inspect", self.container(service)).stdout)[0]["State"]

    def healthy(self, service: str) -> bool:
        return podman("healthcheck", "run", self.container(service), check=False).returncode == 0

    def wait_healthy(self, service: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + max(timeout, 1)
        while time.monotonic() < deadline:
            state = self.state(service)
            if state["Status"] in ("exited", "stopped", "dead"):
                raise RuntimeError(f"{service} exited ({state.get('ExitCode')}):\n{self.logs(service)}")
            if self.healthy(service):
                return
            time.sleep(2)
        raise TimeoutError(f"{service} not healthy after {timeout:.0f} s:\n{self.logs(service)}")

    def logs(self, service: str, lines: int = 40) -> str:
        r = podman("logs", "--tail", str(lines), self.container(service), check=False)
        return r.stdout + r.stderr

    def kill(self, service: str) -> None:
        podman("kill", "--signal", "KILL", self.container(service))

    def restart(self, service: str) -> None:
        podman("restart", self.container(service))

    def start(self, service: str) -> None:
        podman("start", self.container(service))
        self.wait_healthy(service)

    def exec(self, service: str, *cmd: str) -> subprocess.CompletedProcess:
        return podman("exec", self.container(service), *cmd, check=False)

    # ---------------------------------------------------------------- addresses
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['web']}"

    @property
    def dsn(self) -> str:
        return f"postgresql://hegui:{self.password}@127.0.0.1:{self.ports['postgres']}/hegui"


class MemorySampler:
    """Peak memory per service while it runs (`podman stats`, every `every` seconds, in a thread)."""

    def __init__(self, topology: ComposeTopology, every: float = 2.0):
        self.topology, self.every = topology, every
        self.peak_mb: dict[str, float] = defaultdict(float)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        names = {}
        for service in self.topology.services:
            try:
                names[self.topology.container(service)] = service
            except LookupError:
                pass
        while not self._stop.is_set():
            r = podman("stats", "--no-stream", "--no-reset", "--format", "json", *names, check=False, timeout=30)
            try:
                rows = json.loads(r.stdout or "[]")
            except json.JSONDecodeError:
                rows = []
            for row in rows:
                service = names.get(row.get("name"))
                if service:
                    self.peak_mb[service] = max(self.peak_mb[service], parse_mb(row.get("mem_usage", "")))
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def parse_mb(usage: str) -> float:
    """'712.3MB / 24.6GB' -> 712.3 (podman prints decimal units)."""
    value = usage.split("/")[0].strip()
    for unit, factor in (("kB", 1e-3), ("KB", 1e-3), ("MB", 1.0), ("GB", 1e3), ("B", 1e-6)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * factor
    return 0.0
