"""Load on the running web app over loopback: concurrent questions and a long run for memory.

    .venv/bin/python benchmarks/load.py [--index index] [--concurrent 50] [--sequential 1000]

Starts the app in a child process on 127.0.0.1, sends ``--concurrent`` questions at once (all
must be answered, p50/p95 reported), then ``--sequential`` questions in a row, reporting the
server's RSS before and after. Traffic goes to loopback only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How long does it take for the shell to reach its target?",
    "Who is defending Bakhmut?",
    "What did Nikolai say about the Russians?",
    "How many people once lived in Bakhmut?",
    "When was Lyman seized?",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=str(ROOT / "index"))
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=1000)
    args = parser.parse_args()
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--index", args.index, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while True:
            try:
                client = Client(url, verbose=False)
                break
            except Exception:  # not up yet
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the app did not start") from None
                time.sleep(1)

        def ask(i: int) -> float:
            c = Client(url, verbose=False)
            t = time.perf_counter()
            chat, _, _ = c.predict(
                QUESTIONS[i % len(QUESTIONS)], [], "", "", [], 8, "extractive", api_name="/ask"
            )
            assert chat and chat[-1]["role"] == "assistant"
            return (time.perf_counter() - t) * 1000

        with ThreadPoolExecutor(max_workers=args.concurrent) as pool:
            began = time.perf_counter()
            times = list(pool.map(ask, range(args.concurrent)))
            wall = time.perf_counter() - began
        times.sort()
        print(
            f"concurrent: {len(times)}/{args.concurrent} answered in {wall:.1f}s; "
            f"p50 {statistics.median(times):.0f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms"
        )

        before = rss_mb(server.pid)
        seq = []
        for i in range(args.sequential):
            t = time.perf_counter()
            client.predict(
                QUESTIONS[i % len(QUESTIONS)], [], "", "", [], 8, "extractive", api_name="/ask"
            )
            seq.append((time.perf_counter() - t) * 1000)
        after = rss_mb(server.pid)
        seq.sort()
        print(
            f"sequential: {args.sequential} questions, p50 {statistics.median(seq):.0f} ms, "
            f"p95 {seq[int(0.95 * (len(seq) - 1))]:.0f} ms; server RSS {before:.0f} MB -> {after:.0f} MB"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
