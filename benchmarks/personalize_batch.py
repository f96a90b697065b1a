"""Benchmark: personalised handouts per second and peak memory for a batch CSV, through the real CLI
code path (`make-handouts batch`), on every core. Targets: 12 handouts per second or more on 2 cores, and
memory flat in rows (the same peak for 1,000 rows as for 10,000).
The rows mix every handout, English and Spanish, regular and large print, on letter paper
(--both-papers: letter and A4 rows).

    .venv/bin/python benchmarks/personalize_batch.py [--project DIR] [--rows 200 [1000 ...]] [--jobs N]
        [--both-papers] [--built]

Without --project it uses a copy of the sample clinic in tests/sample (`--project .` is the real content).
With --built, the project's standard handouts are built first (`make-handouts build`, not timed), as a
clinic that builds them has: a personalised copy then takes its handout from the build instead of writing
it again.
For each row count, prints seconds (whole command, including worker start-up) and handouts per second,
the CPU seconds per handout (all processes): on a machine shared with other work the wall-clock figure
drifts with the load, the CPU figure much less (the load average is printed too); and the peak memory,
sampled every 0.1 s over the batch's processes: the parent's RSS, and the sum over the parent and its
workers of their PSS (each page shared after the fork counted once, split between the processes sharing
it) and of their RSS (shared pages counted in every process).

Measured (issue 15 item 10; real content, --jobs 2, no --built, on 2 cores shared with other work;
before the merge of the faster personalised copy of issue 16):
    .venv/bin/python benchmarks/personalize_batch.py --project . --rows 1000   (and --rows 5000)
             rows  parent RSS  all PSS  all RSS  handouts/s (load)  CPU s/handout (ideal on 2 idle cores)
    before   1000     129 MB    371 MB   466 MB   2.1 (11)          0.128 (15.6/s)
    before   5000     315 MB    856 MB   942 MB   6.2 (5)           0.102 (19.6/s)
    after    1000      96 MB    340 MB   420 MB   8.3 (4-5)         0.124 (16.1/s)
    after    5000      98 MB    458 MB   537 MB  12.3 (0.5-5)       0.104 (19.2/s)
  merged with main (issue 16's faster copy: the plan sheet in front of the handout's PDF):
    after    1000      98 MB    231 MB   324 MB  14.0 (4-7)         0.059 (33.7/s)
    after    5000      99 MB    260 MB   345 MB  17.3 (6-7)         0.048 (41.9/s)
The batch's own process is flat in rows (the CSV is streamed, a few runs are in flight, no PDF is kept
once written). A worker grows about 55 kB with each copy it renders (WeasyPrint's side), so the batch
starts fresh workers every ROWS_PER_WORKER rows: the workers' share tops out there instead of growing on
(before the merge about 460 MB in all from some 3,000 rows on; after it 231 MB at 1,000 rows, 260 MB at 5,000).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", type=Path)
    parser.add_argument("--rows", type=int, nargs="+", default=[200])
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
        if args.built:
            for large_print in ((), ("--large-print",)):  # every language, regular and large print, letter
                subprocess.run([sys.executable, "-m", "make_handouts", "--project", str(args.project), "build",
                                "--lang", "all", *large_print], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        print(f"handouts: {', '.join(slugs)}; jobs: {args.jobs}; half encrypted (AES-256), a quarter in Spanish, "
              f"a tenth in large print, {'letter and A4' if args.both_papers else 'letter'}; "
              f"{'standard handouts from the build' if args.built else 'no build: each handout written in the batch'}")
        for rows in args.rows:
            run_batch(args, folder / f"batch-{rows}", slugs, rows)


def run_batch(args, folder: Path, slugs: list[str], rows: int) -> None:
    folder.mkdir()
    csv_path = folder / "patients.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["slug", "patient", "prescriber", "plan", "next_visit", "lang", "paper", "password",
                         "large_print"])
        # A clinic's day: every handout, half encrypted, a quarter in Spanish, a tenth in large print,
        # on the clinic's paper (--both-papers alternates letter and A4: twice the handout layouts).
        for n in range(rows):
            writer.writerow([slugs[n % len(slugs)], f"Patient {n}", "Dr Díaz",
                             "Apply twice a day.\nCome back in 3 months.", "2099-01-01",
                             "es" if n % 4 == 3 else "en", ("letter", "a4")[n % 2 * args.both_papers],
                             "pw" if n % 2 else "", "yes" if n % 10 == 9 else ""])
    load = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    batch = subprocess.Popen([sys.executable, "-m", "make_handouts", "--project", str(args.project), "batch",
                              str(csv_path), "--out", str(folder / "out"), "--jobs", str(args.jobs)],
                             cwd=REPO, stdout=subprocess.DEVNULL)
    peak = Peak(batch.pid)
    sampler = threading.Thread(target=peak.sample_until, args=(batch,), daemon=True)
    sampler.start()
    if batch.wait() != 0:
        raise SystemExit(f"batch exited with {batch.returncode}")
    seconds = time.perf_counter() - start
    sampler.join()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    built = len(list((folder / "out").glob("*.pdf")))
    print(f"rows: {rows}  built: {built}  seconds: {seconds:.1f}  handouts per second: {built / seconds:.1f}  "
          f"CPU seconds per handout: {cpu / built:.3f} (ideal on {args.jobs} idle cores: "
          f"{args.jobs * built / cpu:.1f}/s)  load before/after: {load:.1f}/{os.getloadavg()[0]:.1f}")
    print(f"  peak memory: parent RSS {peak.parent_rss:.0f} MB; all processes PSS {peak.total_pss:.0f} MB, "
          f"RSS {peak.total_rss:.0f} MB ({peak.processes} processes)")
    subprocess.run(["rm", "-rf", str(folder)], check=True)


class Peak:
    """The largest memory figures of a process and its descendants, read from /proc (Linux)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.parent_rss = self.total_pss = self.total_rss = 0.0
        self.processes = 0

    def sample_until(self, process: subprocess.Popen) -> None:
        while process.poll() is None:
            tree = [self.pid, *descendants(self.pid)]
            figures = [memory(pid) for pid in tree]
            self.parent_rss = max(self.parent_rss, figures[0][0])
            self.total_rss = max(self.total_rss, sum(rss for rss, _ in figures))
            self.total_pss = max(self.total_pss, sum(pss for _, pss in figures))
            self.processes = max(self.processes, sum(1 for rss, _ in figures if rss))
            time.sleep(0.1)


def descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children + [grandchild for child in children for grandchild in descendants(child)]


def memory(pid: int) -> tuple[float, float]:
    """RSS and PSS in MB (0 for a process that has gone)."""
    figures = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("Rss", "Pss"):
                figures[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return figures.get("Rss", 0.0), figures.get("Pss", 0.0)


if __name__ == "__main__":
    main()
