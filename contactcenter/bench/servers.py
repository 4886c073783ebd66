"""Server processes for benchmarks: daphne on loopback, a throwaway database, /proc readings."""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from contactcenter.processes import die_with_parent

# The directory that holds the ``contactcenter`` package, so children import this very code
# whether the project is installed or run from a checkout.
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

APP_ASGI = "contactcenter.asgi:application"
# contactcenter.runtime.GC_PAUSE_MESSAGE, as it appears in a server's log.
_GC_PAUSE = re.compile(r"garbage collection \(generation \d\) paused the server for (\d+) ms")
BASELINE_ASGI = "contactcenter.bench.baseline_asgi:application"


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise this process's open-file limit (children inherit it); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = "contactcenter.settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_step(args: list[str], *, env: dict[str, str], what: str, timeout: float = 600) -> str:
    """Run a setup command to completion; its stdout is returned, a failure raises with its output."""
    done = subprocess.run(args, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def proc_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine (all cores, every process), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class ServerProcess:
    """One daphne process serving ``app`` on 127.0.0.1:``port``, logging to ``log_path``."""

    app: str
    port: int
    env: dict[str, str]
    log_path: Path
    ping_interval: int = 20
    profile_path: Path | None = None
    profile_gil_only: bool = False
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)
    log_offset: int = field(default=0, init=False)
    profiler: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> ServerProcess:
        args = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "--ping-interval",
            str(self.ping_interval),
            # Thousands of sockets open at once: do not reject slow handshakes during set-up.
            "--websocket_connect_timeout",
            "60",
            self.app,
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(args, env=self.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server on port {self.port} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server on port {self.port} not ready after {timeout}s:\n{self.log_tail()}")

    def start_profiler(self) -> None:
        """Sample the server with py-spy (``pip install py-spy``) into collapsed stacks at ``profile_path``."""
        if self.profile_path is None:
            return
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        args = [py_spy, "record", "--pid", str(self.pid), "--rate", "250", "--format", "raw", "--threads", "-o", str(self.profile_path)]
        if self.profile_gil_only:
            # Only the thread holding the GIL: Python CPU, without threads queueing for the lock.
            args.append("--gil")
        self.profiler = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_profiler(self) -> None:
        if self.profiler is not None and self.profiler.poll() is None:
            self.profiler.send_signal(signal.SIGINT)
            try:
                self.profiler.wait(30)
            except subprocess.TimeoutExpired:
                self.profiler.kill()
        self.profiler = None

    def rss_bytes(self) -> int:
        return proc_rss_bytes(self.pid)

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.pid)

    def new_gc_pauses_ms(self) -> list[float]:
        """Pauses the server logged (contactcenter.runtime, >= CC_GC_WARN_MS) since the last call."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.log_offset)
                text = log.read().decode("utf-8", "replace")
                self.log_offset = log.tell()
        except OSError:
            return []
        return [float(m) for m in _GC_PAUSE.findall(text)]

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        self.stop_profiler()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class PostgresDatabase:
    """A dedicated database ``cc_bench_<pid>`` next to the one DATABASE_URL names, dropped after."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"cc_bench_{os.getpid()}_{secrets.token_hex(3)}"
        parts = urllib.parse.urlsplit(admin_url)
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    def create(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as error:  # leave a note, never hide the benchmark's own result
            print(f"could not drop {self.name}: {error}", file=sys.stderr)


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for name in ("daphne", "channels", "channels-redis", "websockets", "django", "twisted"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def dumps_pretty(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
