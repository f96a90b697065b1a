"""Byte-reproducible output, the content version, and crash and concurrency safety of the output folder."""

from __future__ import annotations

import fcntl
import hashlib
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from pypdf import PdfReader

from conftest import make_project, pdf_text, run

BUILD = [sys.executable, "-c", "import sys; from make_handouts import cli; cli(sys.argv[1:])"]


def pdfs(out: Path) -> dict[str, bytes]:
    """The built PDFs (not the brochure part cache in .parts/, whose names depend on the folder)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.pdf"))
            if not p.relative_to(out).as_posix().startswith(".")}


def test_two_fresh_copies_build_identical_bytes_serial_or_parallel(tmp_path, monkeypatch):
    from handout_builder.build import pool

    started = []  # worker pools the builds started: none for --jobs 1, one for --jobs 2 (whatever the cores)
    real = pool.Pool._pool
    monkeypatch.setattr(pool.Pool, "_pool", lambda self: started.append(self.processes) or real(self))
    out = {}
    for jobs in ("1", "2"):
        copy = make_project(tmp_path / f"copy-{jobs}")
        assert run("build", "--jobs", jobs, project=copy).exit_code == 0
        out[jobs] = copy / "out"
    assert started and set(started) == {2}
    assert len(pdfs(out["1"])) == 3
    assert pdfs(out["1"]) == pdfs(out["2"])
    assert (out["1"] / "manifest.json").read_bytes() == (out["2"] / "manifest.json").read_bytes()


def test_every_pdf_carries_its_content_version_in_footer_and_metadata(sample_build):
    record = json.loads((sample_build / "fingerprints.json").read_text())
    for path, entry in record.items():
        version = entry["fingerprint"][:10]
        reader = PdfReader(sample_build / path)
        assert reader.metadata["/ContentVersion"] == version
        assert f"Version {version}" in pdf_text(sample_build / path)
        assert entry["sha256"] == hashlib.sha256((sample_build / path).read_bytes()).hexdigest()


def assert_consistent(out: Path) -> None:
    """No PDF in the folder is truncated or unreadable; every manifest entry describes its file."""
    for path in out.rglob("*.pdf"):
        reader = PdfReader(path, strict=True)
        assert len(reader.pages) >= 1
        assert reader.trailer["/Root"]["/StructTreeRoot"]
    manifest = out / "manifest.json"
    if manifest.exists():
        for entry in json.loads(manifest.read_text()):
            data = (out / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]


def _kill_when(command: list[str], ready) -> None:
    """Start a build and SIGKILL it as soon as `ready()` is true (or when it ends by itself)."""
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while build.poll() is None and not ready():
        time.sleep(0.001)
    build.send_signal(signal.SIGKILL)
    build.wait()


def test_builds_killed_at_random_moments_leave_no_broken_pdf(sample_build, tmp_path):
    project = make_project(tmp_path / "project")
    out = project / "out"
    command = [*BUILD, "--project", str(project), "build", "--force", "--jobs", "1"]
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.monotonic() - started
    rng = random.Random(20261122)
    # Moments spread over the whole build (one in each tenth of it, before 0.3 s Python is still
    # starting), and the riskiest ones: the instant a file is being written (a temporary file exists)
    # and the instant after a PDF or the manifest was replaced.
    for tenth in range(8):
        moment = time.monotonic() + 0.3 + (duration - 0.3) * (tenth + rng.random()) / 8
        _kill_when(command, lambda: time.monotonic() >= moment)
        assert_consistent(out)
    for _ in range(3):
        _kill_when(command, lambda: any(out.rglob(".*.tmp")))
        assert_consistent(out)
    for name in ("en/letter/testinib.pdf", "manifest.json"):
        before = (out / name).stat().st_mtime_ns
        _kill_when(command, lambda: (out / name).stat().st_mtime_ns != before)
        assert_consistent(out)
    result = run("build", project=project)
    assert result.exit_code == 0, result.output
    assert_consistent(project / "out")
    assert pdfs(project / "out") == pdfs(sample_build)
    assert (project / "out/manifest.json").read_bytes() == (sample_build / "manifest.json").read_bytes()
    assert not list((project / "out").rglob("*.tmp"))


def test_a_build_waits_for_another_build_into_the_same_folder(tmp_path):
    project = make_project(tmp_path / "project")
    out = project / "out"
    out.mkdir()
    with open(out / ".build.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # as a running build holds it
        waiting = subprocess.Popen([*BUILD, "--project", str(project), "build", "testinib"],
                                   stdout=subprocess.PIPE, text=True)
        time.sleep(3)
        assert waiting.poll() is None
        assert not (out / "manifest.json").exists()
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    assert waiting.wait(timeout=120) == 0
    assert "wrote" in waiting.stdout.read()
    assert_consistent(out)


def test_two_builds_started_at_once_do_not_corrupt_each_other(sample_build, tmp_path):
    project = make_project(tmp_path / "project")
    builds = [subprocess.Popen([*BUILD, "--project", str(project), "build"], stdout=subprocess.PIPE, text=True)
              for _ in range(2)]
    outputs = [b.communicate(timeout=300)[0] for b in builds]
    assert [b.returncode for b in builds] == [0, 0]
    # One built everything; the other waited for it and found everything up to date.
    assert sorted(".pdf (" in o for o in outputs) == [False, True]
    assert any("up to date: 3" in o for o in outputs)
    assert pdfs(project / "out") == pdfs(sample_build)
    assert_consistent(project / "out")


def test_a_no_change_build_removes_a_killed_builds_leftovers_unless_a_build_is_running(sample_build, tmp_path):
    project = make_project(tmp_path / "project")
    out = project / "out"
    assert run("build", project=project).exit_code == 0
    leftover = out / "en/letter/.testinib.pdf.x1y2.tmp"
    leftover.write_bytes(b"%PDF-1.7 half")
    with open(out / ".build.lock", "a+b") as lock:  # another build is writing: its file stays
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        assert "up to date" in run("build", project=project).output
        assert leftover.exists()
    assert "up to date" in run("build", project=project).output
    assert not leftover.exists()
