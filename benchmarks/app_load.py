"""The clinic's app under load: the real server (`make-handouts serve` on the real content) driven over
HTTP from this process. Prints: personalise-and-encrypt times with 4 clients at once, the time from the
click to "sent to the printer" (a private CUPS queue with cups-pdf, when CUPS is installed), search
times, and the server's memory (its own and its workers', PSS and RSS) over a run of personalised copies.
On a machine shared with other work the times drift with the load: the load average is printed beside them.

    .venv/bin/python benchmarks/app_load.py [--copies 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from app_helpers import PASSWORD, Client, Server, add_accounts  # noqa: E402

PATIENT_FORM = {"slug": "upadacitinib", "patient": "Ana Benchmark", "prescriber": "Dr Test",
                "plan": "Take one tablet each morning.\nBlood tests in 4 weeks.", "next_visit": "2099-01-15",
                "password": "bench password", "action": "download"}


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages counted once across the server and its workers."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def rss_kb(pid: int) -> int:
    """Resident set size: what `ps` and `top` show (pages shared with the other processes counted in each)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def server_memory_mb(server: Server, of=pss_kb) -> float:
    return sum(of(pid) for pid in [server.process.pid, *server.workers()]) / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed_copy(client: Client) -> float:
    started = time.perf_counter()
    status, headers, body = client.post("/patient/", PATIENT_FORM)
    elapsed = time.perf_counter() - started
    assert status == 200 and body.startswith(b"%PDF"), (status, body[:200])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument("--concurrent", type=int, default=80)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="app-load-") as folder:
        folder = Path(folder)
        cups = None
        try:
            from test_print import QUEUE, _run_cupsd

            cups_folder = Path(tempfile.mkdtemp(prefix="app-load-cups-"))
            cups_run = _run_cupsd(cups_folder)
            cups = next(cups_run)
        except Exception as error:  # noqa: BLE001 - no CUPS here: the print figure is left out
            print(f"print: not measured ({type(error).__name__}: CUPS with cups-pdf is needed)")
        server = Server(REPO, folder, env={"CUPS_SERVER": cups} if cups else {},
                        args=("--out", str(folder / "out"), *(("--printer", QUEUE) if cups else ())))
        add_accounts(server.data_dir)
        started = time.perf_counter()
        server.start()
        print(f"server ready (content loaded, {server.log().count('ready:')} warm pool, standard PDFs built) "
              f"in {time.perf_counter() - started:.1f} s; memory {server_memory_mb(server):.0f} MB (PSS)")
        try:
            clients = [Client(server.base) for _ in range(4)]
            for client in clients:
                assert client.sign_in("doc", PASSWORD) == 302
            timed_copy(clients[0])  # each worker's first copy of the edition
            timed_copy(clients[1])
            load_before = os.getloadavg()[0]
            with ThreadPoolExecutor(4) as pool:
                times = list(pool.map(lambda n: timed_copy(clients[n % 4]), range(options.concurrent)))
            print(f"personalise + encrypt (upadacitinib, 5 pages + plan sheet), 4 clients at once, "
                  f"{len(times)} copies: median {statistics.median(times):.3f} s, "
                  f"95th percentile {percentile(times, 0.95):.3f} s  (load average {load_before:.1f} before, "
                  f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores)")

            desk = Client(server.base)
            desk.sign_in("desk", PASSWORD)
            searches = []
            for query in ["rinvoq", "upadacitinib", "Litfulo", "vit", "jak", "opzelura", "x"] * 10:
                t = time.perf_counter()
                status, _, _ = desk.get(f"/handouts/results?q={query}")
                searches.append(time.perf_counter() - t)
                assert status == 200
            print(f"search (the results fragment), {len(searches)} queries: median "
                  f"{statistics.median(searches) * 1000:.1f} ms, max {max(searches) * 1000:.1f} ms")

            if cups:
                from test_print import cups_pdf_folder

                print_started = time.time()
                prints = []
                for _ in range(5):
                    t = time.perf_counter()
                    status, headers, _ = desk.post("/handouts/print", {"slug": "upadacitinib", "lang": "en",
                                                                       "paper": "letter", "copies": "1"})
                    prints.append(time.perf_counter() - t)
                    assert status == 302
                    desk.get(headers["Location"])  # its message
                print(f"print a handout (click to 'sent to the printer, job N'), 5 times: median "
                      f"{statistics.median(prints):.3f} s, max {max(prints):.3f} s")
                time.sleep(20)  # cups-pdf writes them; then they go (the folder is shared)
                for printed in cups_pdf_folder().glob("app-upadacitinib*job_*.pdf"):
                    if printed.stat().st_mtime >= print_started:
                        printed.unlink()

            memory = {"PSS": [], "RSS": []}
            run_started = time.perf_counter()
            for number in range(1, options.copies + 1):
                timed_copy(clients[0])
                if number in (1, 100) or number % 250 == 0 or number == options.copies:
                    memory["PSS"].append((number, server_memory_mb(server, pss_kb)))
                    memory["RSS"].append((number, server_memory_mb(server, rss_kb)))
            print(f"{options.copies} personalised copies in a row in {time.perf_counter() - run_started:.0f} s")
            for kind, figures in memory.items():
                after_100 = dict(figures).get(100, figures[0][1])
                last = figures[-1][1]
                print(f"  server memory ({kind}, the server and its {len(server.workers())} workers): "
                      + ", ".join(f"{n}: {mb:.0f} MB" for n, mb in figures)
                      + f"; growth after the first 100: {(last - after_100) / after_100 * 100:+.1f} %")
        finally:
            server.stop()
            if cups:
                try:
                    next(cups_run)
                except StopIteration:
                    pass


if __name__ == "__main__":
    main()
