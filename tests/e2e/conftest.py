"""Playwright against a real ``streamlit run`` server, in Debian's chromium.

- ``browser_type_launch_args`` (pytest-playwright's session fixture) is overridden to launch the system chromium
  (``shutil.which("chromium")``) with sandbox/GPU/network extras off; ``playwright install`` cannot download here.
- No chromium: the e2e tests are skipped, unless ``REQUIRE_E2E=1`` (CI), where that is a failure.
- Every test here is marked ``slow`` as well as ``e2e`` (``make test-fast`` skips them).
- ``app_server`` starts ``streamlit run app.py`` once per module on a free localhost port, logs to a temporary
  file (a pipe could fill and block the server), and waits for ``/_stcore/health``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
START_TIMEOUT_S = 60.0
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow too (a server and chromium): ``make test-fast`` skips them."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)


def chromium_path() -> str | None:
    """The system chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _require_browser() -> str:
    exe = chromium_path()
    if exe is None:
        msg = "no chromium on PATH (apt-get install chromium)"
        if os.environ.get("REQUIRE_E2E") == "1":
            pytest.fail(f"REQUIRE_E2E=1 but {msg}", pytrace=False)
        pytest.skip(msg)
    return exe


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's chromium rather than a Playwright-downloaded browser."""
    exe = _require_browser()
    return {**browser_type_launch_args, "executable_path": exe, "args": CHROMIUM_ARGS}


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``streamlit run`` process."""

    url: str
    proc: subprocess.Popen[bytes]
    log: IO[bytes]
    started_at: float  # time.perf_counter() at process start

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def start_server(timeout_s: float = START_TIMEOUT_S) -> Server:
    """Start ``streamlit run app.py`` on a free port and wait until it answers its health check."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the fixture after the log is read)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "app.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
            "--global.developmentMode=false",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", proc, log, t0)
    deadline = t0 + timeout_s
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"streamlit did not become healthy in {timeout_s:.0f} s:\n{server.output()}")


@pytest.fixture(scope="module")
def app_server() -> Iterator[Server]:
    """One ``streamlit run`` server per test module."""
    _require_browser()  # no point starting a server nobody can visit
    server = start_server()
    yield server
    server.stop()
    out = server.output()
    server.log.close()
    if "Traceback" in out:
        print(out)  # shown by pytest on failure / with -s
