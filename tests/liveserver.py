"""Start real server processes (``contactcenter demo`` / ``serve``) for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from contactcenter.processes import die_with_parent

ROOT = Path(__file__).resolve().parent.parent


def free_port_pair() -> int:
    """A port P such that P and P+1 are both free (the demo serves its shop page on P+1)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65534:
            continue
        try:
            with socket.socket() as s2:
                s2.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return int(port)
    raise RuntimeError("no free port pair")


class LiveServer:
    """One server process on loopback; ``demo`` loads sample data and serves the shop on port+1."""

    def __init__(self, data_dir: Path, *, port: int | None = None, env: dict[str, str] | None = None, command: str = "demo") -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port_pair()
        self.extra_env = env or {}
        self.command = command
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def shop_url(self) -> str:
        return f"http://127.0.0.1:{self.port + 1}/"

    def env(self) -> dict[str, str]:
        """The environment the server (and ``manage``) runs with."""
        # No sample FAQ unless a test asks for it (CC_DEMO_FAQ=1): with it the bot answers first.
        # No sample tickets either (CC_DEMO_TICKETS=1): tests count the tickets they make.
        env = {**os.environ, "CC_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1", "CC_DEMO_FAQ": "0", "CC_DEMO_TICKETS": "0"}
        env.pop("DJANGO_SETTINGS_MODULE", None)  # the server uses the real settings, not the tests'
        # Never inherit the test run's database or Redis: a server gets them only when asked to.
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
        return {**env, **self.extra_env}

    def start(self, timeout: float = 60) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable,
            "-m",
            "contactcenter.cli",
            "--data-dir",
            str(self.data_dir),
            self.command,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(args, env=self.env(), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, preexec_fn=die_with_parent)
        self.wait_ready(timeout)
        return self

    def manage(self, *args: str, timeout: float = 60) -> str:
        """Run ``contactcenter manage ARGS`` against this server's database and data dir; its stdout."""
        command = [sys.executable, "-m", "contactcenter.cli", "--data-dir", str(self.data_dir), "manage", *args]
        done = subprocess.run(command, env=self.env(), cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"manage {args[0] if args else ''} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def restart(self, timeout: float = 60) -> LiveServer:
        self.kill()
        return self.start(timeout)
