"""Hostile input through the real CLI: each file (the bad-input table's hostile rows, made by the
test suite's own generators) beside a good one, `assistant index update` in a child process;
prints the one-line message, the child's peak memory and whether the good file was indexed.

    .venv/bin/python benchmarks/hostile.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_ingest import HOSTILE  # noqa: E402 (the generators the tests use)


def run(args: list[str]) -> tuple[int, str, str, float]:
    """Run the CLI; return (exit code, stdout, stderr, the child's peak RSS in MB)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        seed = base / "seed"
        seed.mkdir()
        (seed / "first.txt").write_text("First report\n\nThe harbour opened.", encoding="utf-8")
        index = base / "index"
        code, *_ = run(["index", "build", str(seed), "--index", str(index)])
        assert code == 0
        cases = {name: make for name, (make, _) in HOSTILE.items()}
        cases["zero-device"] = None  # /dev/zero given as a file
        print(f"{'input':<16} {'exit':>4} {'peak MB':>8}  good indexed  message")
        for n, (name, make) in enumerate(sorted(cases.items())):
            folder = base / f"case{n}"
            folder.mkdir()
            (folder / f"good{n}.txt").write_text(
                f"Good report {n}\n\nThe ferry number {n} sailed on time.", encoding="utf-8"
            )
            target: Path | str = folder
            if make is None:
                target = "/dev/zero"
            else:
                make(folder / name)
                if name == "badtitle.txt":
                    (folder / "badtitle.meta.json").write_text('{"title": 5}')
            paths = [str(folder)] if make else [str(folder), str(target)]
            code, out, err, peak = run(["index", "update", *paths, "--index", str(index)])
            _, listed, _, _ = run(["index", "list", "--index", str(index)])
            good = f"Good report {n}" in listed
            message = next(
                (line.removeprefix("failed: ") for line in err.splitlines() if "failed" in line),
                "(no failure) " + out.strip().splitlines()[-1]
                if out.strip()
                else err.strip()[:120],
            )
            print(f"{name:<16} {code:>4} {peak:>8.0f}  {str(good):<12}  {message[:150]}")


if __name__ == "__main__":
    main()
