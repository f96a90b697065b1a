"""Benchmark: personalised handouts per second for a 200-row batch CSV, through the real CLI code path
(`make-handouts batch`), on every core. Target: 12 per second or more on 2 cores, on the real content
(`--project .`). The rows mix every handout, English and Spanish, regular and large print, on letter paper
(--both-papers: letter and A4 rows).

    .venv/bin/python benchmarks/personalize_batch.py [--project DIR] [--rows 200] [--jobs N] [--both-papers]
                                                     [--built]

Without --project it uses a copy of the sample clinic in tests/sample. With --built, the project's
standard handouts are built first (`make-handouts build`, not timed), as a clinic that builds them has:
a personalised copy then takes its handout from the build instead of writing it again. Prints rows,
seconds (whole command, including worker start-up) and handouts per second, and the CPU seconds per
handout (all processes): on a machine shared with other work the wall-clock figure drifts with the load,
the CPU figure much less (the load average is printed too).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--both-papers", action="store_true", help="alternate letter and A4 rows")
    parser.add_argument("--built", action="store_true", help="build the standard handouts first (not timed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if args.project is None:
            from conftest import make_project

            args.project = make_project(folder / "project")
        slugs = subprocess.run([sys.executable, "-m", "make_handouts", "--project", str(args.project), "list"],
                               capture_output=True, text=True, check=True, cwd=REPO).stdout.split("\n")
        slugs = [line.split()[0] for line in slugs if line.strip()]
        csv_path = folder / "patients.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["slug", "patient", "prescriber", "plan", "next_visit", "lang", "paper", "password",
                             "large_print"])
            # A clinic's day: every handout, half encrypted, a quarter in Spanish, a tenth in large print,
            # on the clinic's paper (--both-papers alternates letter and A4: twice the handout layouts).
            for n in range(args.rows):
                writer.writerow([slugs[n % len(slugs)], f"Patient {n}", "Dr Díaz",
                                 "Apply twice a day.\nCome back in 3 months.", "2099-01-01",
                                 "es" if n % 4 == 3 else "en", ("letter", "a4")[n % 2 * args.both_papers],
                                 "pw" if n % 2 else "", "yes" if n % 10 == 9 else ""])
        if args.built:
            for large_print in ((), ("--large-print",)):  # every language, regular and large print, letter
                subprocess.run([sys.executable, "-m", "make_handouts", "--project", str(args.project), "build",
                                "--lang", "all", *large_print], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        print("load before:", os.getloadavg()[0])
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "make_handouts", "--project", str(args.project), "batch",
                        str(csv_path), "--out", str(folder / "out"), "--jobs", str(args.jobs)],
                       check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        built = len(list((folder / "out").glob("*.pdf")))
    print(f"rows: {args.rows}  built: {built}  jobs: {args.jobs}  handouts: {', '.join(slugs)}")
    print(f"seconds: {seconds:.1f}  handouts per second: {built / seconds:.1f}  (half encrypted, AES-256; "
          "a quarter in Spanish, a tenth in large print, "
          f"{'letter and A4' if args.both_papers else 'letter'}; "
          f"{'standard handouts from the build' if args.built else 'no build: each handout written in the batch'})")
    print(f"CPU seconds per handout: {cpu / built:.3f}  (ideal on {args.jobs} idle cores: "
          f"{args.jobs * built / cpu:.1f} handouts per second)  load after: {os.getloadavg()[0]}")
    print(f"peak memory of one process (RSS): {cpu_after.ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
