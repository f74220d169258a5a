"""Server memory under many distinct share links: a real ``streamlit run app.py`` given N links, its RSS over time.

Each link is the chat preset with 50 self-hosting options (7 open-weight models × the catalogue's GPUs, precisions
varied) and its own volume, so no two links share a result and every one is the expensive kind. Each is opened the
way a browser opens it: a websocket to ``/_stcore/stream`` sending the ``rerun_script`` message with the link's
query string, then reading the page's messages until the script finishes (nothing is drawn, nothing is clicked:
the first screen, the verdict, the table, the charts and the uncertainty section are all computed by the server).
The server's RSS (``/proc/PID/status`` VmRSS) is read after every link.

Run: ``.venv/bin/python benchmarks/bench_links.py [--links N] [--minutes M] [--csv FILE]`` (in ``make bench`` with
``BENCH_LINKS`` links, 150 by default: 1,000 take ~20 min on 2 cores). Target: under 1 GB after the links, which the
cache budget (``costmodel.catalog.budget``) holds whatever their number: the RSS must be flat over the last links.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from conftest import start_server  # noqa: E402  (one way to start a real server, the browser tests')

TARGET_MB = 1024.0
OPEN_WEIGHTS = (
    "deepseek-v3",
    "deepseek-v3.2",
    "deepseek-v4-pro",
    "deepseek-v4-flash",
    "deepseek-v4.1-flash",
    "kimi-k2.6",
    "minimax-m3",
)
PRECISIONS = ("native", "fp8", "fp4")


def links(n: int) -> list[str]:
    """``n`` distinct share links of the chat preset, each with 50 self-hosting options and its own volume."""
    from costmodel.catalog import load_catalogue
    from costmodel.views.links.query import scenario_to_query
    from costmodel.workload.presets import preset
    from costmodel.workload.scenario import SelfHostOption

    cat = load_catalogue(None)
    base = preset("chat", dt.date(2026, 11, 29))
    combos = list(itertools.product(OPEN_WEIGHTS, (g.id for g in cat.gpus)))
    out = []
    for i in range(n):
        opts = tuple(
            SelfHostOption(model=m, gpu=g, precision=PRECISIONS[(i + j) % len(PRECISIONS)])  # type: ignore[arg-type]
            for j, (m, g) in enumerate(combos[(i * 7) % len(combos) :] + combos)
        )[:50]
        w = base.workload.model_copy(update={"requests_per_day": 150_000.0 + 997.0 * i})
        s = base.model_copy(update={"workload": w, "self_host_options": opts})
        out.append(urlencode(scenario_to_query(s)))
    return out


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid``, MB (VmRSS of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


def open_link(port: int, query: str, timeout_s: float = 300.0) -> tuple[float, int, str]:
    """Open one link as a browser does; returns (seconds, messages received, how the script ended)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    t0 = time.perf_counter()
    n = 0
    with connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=["streamlit"],
        max_size=None,
        open_timeout=60,  # type: ignore[list-item]
    ) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_script_hash = ""
        ws.send(msg.SerializeToString())
        while True:
            raw = ws.recv(timeout=timeout_s)
            n += 1
            fwd = ForwardMsg()
            fwd.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
            if fwd.WhichOneof("type") == "script_finished":
                end = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if end != "FINISHED_EARLY_FOR_RERUN":
                    return time.perf_counter() - t0, n, end


def run(n: int, minutes: float, csv: Path | None = None) -> dict[str, Any]:
    qs = links(n)
    server = start_server()  # the browser tests' server: the repository's app.py and .streamlit config
    proc, port = server.proc, server.port
    samples: list[tuple[int, float, float]] = []  # (links opened, seconds since start, RSS MB)
    t_start = time.perf_counter()
    try:
        open_link(port, "")  # the default page first: the process with its imports and catalogue
        first = rss_mb(proc.pid)
        samples.append((0, 0.0, first))
        times = []
        for i, q in enumerate(qs, 1):
            secs, _, end = open_link(port, q)
            if end != "FINISHED_SUCCESSFULLY":
                raise RuntimeError(f"link {i}: the script ended {end}")
            times.append(secs)
            samples.append((i, time.perf_counter() - t_start, rss_mb(proc.pid)))
            if i % 25 == 0:
                print(
                    f"  {i} links, RSS {samples[-1][2]:.0f} MB, {statistics.median(times[-25:]):.2f} s per link"
                )
            if time.perf_counter() - t_start > minutes * 60:
                break
    finally:
        server.stop()
        server.log.close()
    if csv is not None:
        csv.write_text("links,seconds,rss_mb\n" + "".join(f"{a},{b:.1f},{c:.1f}\n" for a, b, c in samples))
    done = samples[-1][0]
    rss = [s[2] for s in samples]
    tail = [s[2] for s in samples if s[0] > done // 2]  # the second half of the links
    return {
        "links": done,
        "first_mb": first,
        "peak_mb": max(rss),
        "final_mb": rss[-1],
        "half_mb": samples[len(samples) // 2][2],
        "tail_min_mb": min(tail),
        "tail_max_mb": max(tail),
        "median_s": statistics.median(times),
    }


def main(n: int | None = None) -> list[dict[str, Any]]:
    n = n or int(os.environ.get("BENCH_LINKS", "150"))
    r = run(n, minutes=float(os.environ.get("BENCH_LINKS_MINUTES", "40")))
    name = f"server RSS after {r['links']:,} distinct share links (50 self-hosting options each)"
    return [
        {"name": f"{name}: peak", "value": r["peak_mb"], "unit": "MB", "target": TARGET_MB,
         "ratio": r["peak_mb"] / TARGET_MB},
        {"name": "server RSS after the first page (no link)", "value": r["first_mb"], "unit": "MB", "target": None,
         "ratio": None},
        {"name": f"server RSS over the second half of the links: max − min (plateau; {r['half_mb']:.0f} MB at "
                 "the half)", "value": r["tail_max_mb"] - r["tail_min_mb"], "unit": "MB", "target": None,
         "ratio": None},
        {"name": "one share link of 50 options opened (median, websocket)", "value": r["median_s"] * 1000.0,
         "unit": "ms", "target": None, "ratio": None},
    ]  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, default=1000)
    ap.add_argument("--minutes", type=float, default=40.0)
    ap.add_argument("--csv", type=Path)
    a = ap.parse_args()
    print(run(a.links, a.minutes, a.csv))
