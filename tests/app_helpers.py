"""The clinic's app under test: the real server (`make-handouts serve`, waitress) in a process of its own on a
free loopback port, over a copy of the sample clinic, with a real SMTP server and a real CUPS queue."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from conftest import REPO, make_project
from test_print import free_port

PASSWORD = "long enough pass phrase"
# One account per role, named after it.
ROLES = {"desk": "front-desk", "doc": "clinician", "owner": "content-owner", "market": "marketing", "boss": "admin"}
# Planted in every patient field of every test; must never appear anywhere but inside a PDF's pages.
PATIENT = "Zelda Quixotefield"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def app_project(folder: Path, smtp_port: int | None = None) -> Path:
    """The sample clinic, with its mail going to a test SMTP server on this computer (no STARTTLS)."""
    project = make_project(folder)
    if smtp_port:
        brand = project / "handouts" / "clinic.toml"
        brand.write_text(brand.read_text() + f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nstarttls = false\n'
                         'from = "clinic@sample-skin.example.org"\n')
    return project


def add_accounts(data_dir: Path) -> None:
    from handout_builder.web.accounts import add_account

    for name, role in ROLES.items():
        add_account(data_dir, name, role, PASSWORD)


class Server:
    """`make-handouts serve` in a subprocess; its log (standard error) in a file, to read and scan."""

    def __init__(self, project: Path, folder: Path, env: dict | None = None, args: tuple = ()):
        self.project = project
        self.data_dir = folder / "data"
        self.temp = folder / "tmp"  # the server's TMPDIR: scanned for leftovers
        self.temp.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / "server.log"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "TMPDIR": str(self.temp), **(env or {})}
        self.args = args
        self.process: subprocess.Popen | None = None

    def start(self, wait_warm: bool = True) -> Server:
        command = [sys.executable, str(REPO / "make_handouts.py"), "--project", str(self.project), "serve",
                   "--port", str(self.port), "--data", str(self.data_dir), *self.args]
        self.log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT, env=self.env)
        self.wait_for("Serving on", 60)
        if wait_warm:
            self.wait_for("ready: ", 120)
            self.wait_for("built: ", 120)
        return self

    def wait_for(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the server stopped: {self.log()}")
            time.sleep(0.1)
        raise AssertionError(f"no '{text}' in the server's log within {timeout_s} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def workers(self) -> list[int]:
        """The server's child processes (its render workers, and any build's)."""
        # A child belongs to the thread that forked it: the workshop thread forks the workers.
        tasks = Path(f"/proc/{self.process.pid}/task").iterdir()
        return sorted(int(pid) for task in tasks for pid in (task / "children").read_text().split())


class Client:
    """A browser-less user of the server: cookies kept, CSRF token read from each page, no redirects
    followed unless asked (so each response can be checked)."""

    def __init__(self, base: str, tls=None):
        self.base = base
        self.cookies = CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()]
        if tls is not None:  # an ssl.SSLContext that trusts the server's certificate
            handlers.append(urllib.request.HTTPSHandler(context=tls))
        self.opener = urllib.request.build_opener(*handlers)
        self.token = ""

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None,
                with_token: bool = True):
        from urllib.parse import urlencode

        body = None
        if data is not None:
            fields = dict(data)
            if with_token and "csrf_token" not in fields:
                fields["csrf_token"] = self.token
            body = urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        content = response.read()
        found = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', content)
        if found:
            self.token = found[1].decode()
        return response.status, dict(response.headers), content

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs):
        return self.request("POST", path, data, **kwargs)

    def sign_in(self, name: str, password: str = PASSWORD) -> int:
        self.get("/sign-in")
        status, headers, _ = self.post("/sign-in", {"name": name, "password": password, "next": ""})
        self.get("/account")  # a signed-in session gets a form token of its own
        return status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
