"""Run the real service in a subprocess on a free loopback port (tests, load and soak runs).

Only 127.0.0.1 is used.  ``kill()`` sends SIGKILL, so fault tests can check that what
the service acknowledged survives a crash.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, data_dir: str | Path, env: dict | None = None, port: int | None = None):
        self.data_dir = str(data_dir)
        self.env = {**os.environ, "SCREENING_DATA_DIR": self.data_dir, "SCREENING_RATE_LIMIT_PER_MINUTE": "10000000",
                    "PYTHONPATH": str(ROOT), **(env or {})}
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def create_key(self, role: str = "admin", name: str = "devserver") -> str:
        out = subprocess.run([sys.executable, "-m", "screening", "keys", "create", "--role", role, "--name", name],
                             capture_output=True, text=True, env=self.env, cwd=ROOT, check=True, timeout=120)
        return out.stdout.split()[-1]

    def start(self, timeout: float = 180) -> "ServerProcess":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "screening", "serve", "--port", str(self.port), "--log-level", "warning"],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError("server did not start in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing — a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_mb(self) -> float:
        """Resident memory of the server process (Linux /proc)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")
