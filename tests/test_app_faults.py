"""Faults while the app works, against the real server: a render worker killed mid-request, the records
file locked by another program, the printer queue stopped, the mail server down. Each says so in the page,
and nothing half-done is recorded as given."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from app_helpers import PATIENT, Client, Server, add_accounts, app_project
from test_print import QUEUE, cups_server, free_port, needs_cups  # noqa: F401

pytestmark = needs_cups
DOWNLOAD = {"slug": "testinib", "patient": PATIENT, "password": "eight or more", "action": "download"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, cups_server):
    folder = tmp_path_factory.mktemp("app-faults")
    dead_mail_port = free_port()  # nothing listens there: the mail server is down
    running = Server(app_project(folder / "project", dead_mail_port), folder, env={"CUPS_SERVER": cups_server},
                     args=("--printer", QUEUE))
    add_accounts(running.data_dir)
    running.start()
    running.cups = cups_server
    yield running
    running.stop()


def given(server) -> int:
    with sqlite3.connect(server.data_dir / "app.sqlite3") as connection:
        return connection.execute("SELECT COUNT(*) FROM given").fetchone()[0]


def test_a_worker_killed_mid_request_fails_that_copy_and_the_next_one_is_made(server):
    client = Client(server.base)
    client.sign_in("doc")
    assert client.post("/patient/", DOWNLOAD)[0] == 200  # the workers are up
    before = given(server)
    workers = server.workers()
    assert workers
    for pid in workers:  # frozen: the next copy is handed to a worker that will die with it
        os.kill(pid, signal.SIGSTOP)
    answer = {}
    asking = threading.Thread(target=lambda: answer.update(zip(("status", "headers", "body"),
                                                               client.post("/patient/", DOWNLOAD))))
    asking.start()
    time.sleep(1.0)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    asking.join(60)
    assert answer["status"] == 503
    assert b"The program that makes the PDF stopped before it finished, so nothing was made" in answer["body"]
    assert given(server) == before
    status, headers, body = client.post("/patient/", DOWNLOAD)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert given(server) == before + 1
    assert set(server.workers()).isdisjoint(workers)  # fresh ones


def test_the_records_file_locked_by_another_program_stops_the_print_before_it_is_sent(server):
    client = Client(server.base)
    client.sign_in("desk")
    before = given(server)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(server.data_dir / 'app.sqlite3')!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(30)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        jobs_before = _jobs(server)
        status, _, body = client.post("/handouts/print", {"slug": "testinib", "lang": "en", "paper": "letter",
                                                          "copies": "1"})
        assert status == 503
        assert b"Another program is holding the app&#39;s records file, so nothing was done" in body
        assert _jobs(server) == jobs_before  # nothing went to the printer
    finally:
        holder.kill()
        holder.wait()
    assert given(server) == before
    assert "is locked by another program" in server.log()


def _jobs(server) -> str:
    return subprocess.run(["lpstat", "-W", "all", "-o"], capture_output=True, text=True,
                          env={**os.environ, "CUPS_SERVER": server.cups}).stdout


def test_a_stopped_printer_queue_is_said_and_nothing_is_recorded(server):
    env = {**os.environ, "CUPS_SERVER": server.cups}
    client = Client(server.base)
    client.sign_in("desk")
    before = given(server)
    subprocess.run(["cupsdisable", QUEUE], env=env, check=True)
    try:
        status, headers, _ = client.post("/handouts/print", {"slug": "testinib", "lang": "en", "paper": "letter",
                                                             "copies": "1"})
        assert status == 302
        page = client.get(headers["Location"])[2].decode()
        assert f"Nothing was printed: the printer &#39;{QUEUE}&#39; is stopped" in page
        assert f"start it again (`cupsenable {QUEUE}`)" in page
    finally:
        subprocess.run(["cupsenable", QUEUE], env=env, check=True)
    assert given(server) == before


def test_the_mail_server_down_is_said_and_nothing_is_recorded(server):
    client = Client(server.base)
    client.sign_in("doc")
    before = given(server)
    status, _, body = client.post("/patient/", {**DOWNLOAD, "action": "email", "email": "patient@example.org"})
    page = body.decode()
    assert status == 503
    assert "The email was not sent, and nothing was recorded: could not send through 127.0.0.1:" in page
    assert "ConnectionRefusedError" in page
    assert given(server) == before
    assert PATIENT not in server.log() and "patient@example.org" not in server.log()
