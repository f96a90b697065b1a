"""Output that cannot be written (issue 15 item 6): a read-only folder, a disk that fills up mid-way.
The message names the file or folder, exit 1, no traceback; nothing is half-written, the files written
before stay intact, and a build's manifest still lists every file on disk.

The suite runs as root, for whom a chmod'ed folder is still writable, so the folder's refusal is made
where the tool meets the system: os.open and os.mkdir refuse writes inside it (EROFS), os.fsync refuses
one file's data (ENOSPC), as a read-only mount and a full disk do.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import run

CSV_HEADER = "slug,patient,prescriber,plan,next_visit,lang,paper\n"


def read_only(monkeypatch, folder: Path) -> None:
    """Writes inside `folder` fail as on a read-only mount; reads and writes elsewhere go on."""
    folder = folder.absolute()
    real_open, real_mkdir = os.open, os.mkdir

    def inside(path) -> bool:
        return Path(os.fsdecode(path)).absolute().is_relative_to(folder)

    def refuse(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))

    def opening(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and inside(path):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def making(path, *args, **kwargs):
        if inside(path):
            refuse(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", opening)
    monkeypatch.setattr(os, "mkdir", making)


def disk_full_at(monkeypatch, name: str) -> None:
    """The disk fills up while `name` is being written (its data is refused when it is flushed)."""
    real_fsync = os.fsync

    def fsync(fd):
        if f"/.{name}." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def no_leftovers(folder: Path) -> None:
    assert not [p for p in folder.rglob(".*.tmp")], "a temporary file was left behind"


# --- batch --------------------------------------------------------------------------------------------

def test_batch_into_a_read_only_folder_says_so_before_rendering(project, tmp_path, monkeypatch):
    import handout_builder.deliver.personalize as personalize

    rendered = []
    monkeypatch.setattr(personalize.Personalizer, "render_rows", lambda self, requests: rendered.append(1))
    csv_path = tmp_path / "list.csv"
    csv_path.write_text(CSV_HEADER + "testinib,Ann Lee,,,,en,letter\n", encoding="utf-8")
    out = tmp_path / "shared"
    out.mkdir()
    read_only(monkeypatch, out)
    result = run("batch", str(csv_path), "--out", str(out), project=project)
    assert result.exit_code == 1
    assert f"{out}: error: cannot write here: Read-only file system [write]" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert rendered == [] and list(out.iterdir()) == []


def test_batch_into_a_new_folder_under_a_read_only_one(project, tmp_path, monkeypatch):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text(CSV_HEADER + "testinib,Ann Lee,,,,en,letter\n", encoding="utf-8")
    (tmp_path / "mounted").mkdir()
    read_only(monkeypatch, tmp_path / "mounted")
    result = run("batch", str(csv_path), "--out", str(tmp_path / "mounted/batch"), project=project)
    assert result.exit_code == 1
    assert f"{tmp_path / 'mounted/batch'}: error: cannot write here: Read-only file system [write]" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_disk_full_mid_batch_stops_it_leaving_the_pdfs_written_before_intact(project, tmp_path, monkeypatch):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text(CSV_HEADER + "".join(f"testinib,Patient Number{n},,,,en,letter\n" for n in range(6)),
                        encoding="utf-8")
    out = tmp_path / "o"
    out.mkdir()
    (out / "row-0005-testinib.pdf").write_bytes(b"yesterday's copy")  # a file the batch would replace
    disk_full_at(monkeypatch, "row-0005-testinib.pdf")
    result = run("batch", str(csv_path), "--out", str(out), "--jobs", "1", project=project)
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    assert (f"{out / 'row-0005-testinib.pdf'}: error: cannot write here: No space left on device [write]"
            in result.stderr)
    assert (f"1 problem in 1 file; the batch stopped: 3 PDFs were written into {out} before it, each complete; "
            "no email was sent.") in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"row-000{n}-testinib.pdf" for n in (2, 3, 4, 5)]
    assert (out / "row-0005-testinib.pdf").read_bytes() == b"yesterday's copy"
    for n in (2, 3, 4):
        text = " ".join(PdfReader(out / f"row-000{n}-testinib.pdf").pages[0].extract_text().split())
        assert f"Prepared for Patient Number{n - 2}" in text
    no_leftovers(out)


def test_a_disk_full_while_writing_drafts_is_a_message(project, tmp_path, monkeypatch):
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper,email\n"
                        "testinib,Ann Lee,,,,en,letter,ann@example.org\n", encoding="utf-8")
    out = tmp_path / "o"
    disk_full_at(monkeypatch, "row-0002-testinib.eml")
    result = run("batch", str(csv_path), "--out", str(out), "--send", "--allow-unencrypted", "--jobs", "1",
                 project=project)
    assert result.exit_code == 1
    assert (f"{out / 'row-0002-testinib.eml'}: error: cannot write here: No space left on device [write]"
            in result.stderr)
    assert "Traceback" not in result.output + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["row-0002-testinib.pdf"]


# --- personalize --------------------------------------------------------------------------------------

def test_personalize_into_a_read_only_folder_is_a_message(project, tmp_path, monkeypatch):
    target = tmp_path / "shared/testinib.pdf"
    target.parent.mkdir()
    read_only(monkeypatch, target.parent)
    result = run("personalize", "testinib", "--patient", "Ann Lee", "-o", str(target), project=project)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{target}: error: cannot write here: Read-only file system [write]", "1 problem in 1 file; nothing was written."]
    assert not target.exists()


def test_personalize_on_a_full_disk_keeps_the_file_that_was_there(project, tmp_path, monkeypatch):
    target = tmp_path / "testinib.pdf"
    target.write_bytes(b"the copy printed this morning")
    disk_full_at(monkeypatch, target.name)
    result = run("personalize", "testinib", "--patient", "Ann Lee", "-o", str(target), project=project)
    assert result.exit_code == 1
    assert f"{target}: error: cannot write here: No space left on device [write]" in result.stderr
    assert target.read_bytes() == b"the copy printed this morning"
    no_leftovers(tmp_path)


# --- build --------------------------------------------------------------------------------------------

@pytest.fixture
def built(sample_build, tmp_path) -> Path:
    """A copy of the built sample clinic: its project folder."""
    project = tmp_path / "project"
    shutil.copytree(sample_build.parent, project)
    return project


def manifest_matches_disk(out: Path) -> dict[str, str]:
    """Every manifest entry describes the file on disk; returns path -> sha256."""
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in entries:
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"], entry["path"]
    return {entry["path"]: entry["sha256"] for entry in entries}


def test_a_disk_full_mid_build_keeps_the_manifest_of_what_is_on_disk(built, monkeypatch):
    """The manifest was left without the entries the build had retracted (all of them: `[]`)."""
    out = built / "out"
    before = manifest_matches_disk(out)
    full = "en/letter/about-patches.pdf"  # the build's last handout
    assert full in before
    disk_full_at(monkeypatch, Path(full).name)
    result = run("build", "--force", project=built)
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    assert f"{out / full}: error: cannot write here: No space left on device [write]" in result.stderr
    assert "; the build stopped: " in result.stderr and "each complete; the others are as they were." in result.stderr
    after = manifest_matches_disk(out)
    assert set(after) == set(before)  # every PDF still listed: the rewritten ones with their new bytes
    assert after[full] == before[full]
    no_leftovers(out)


def test_build_into_a_read_only_folder_is_a_message(built, monkeypatch, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    read_only(monkeypatch, tmp_path / "elsewhere")
    result = run("build", "--out", str(tmp_path / "elsewhere/out"), project=built)
    assert result.exit_code == 1
    assert f"{tmp_path / 'elsewhere/out'}: error: cannot write here: Read-only file system [write]" in result.stderr
    assert "Traceback" not in result.output + result.stderr



class Writer:
    """A pool worker whose write is refused (a full disk under a worker: the part cache, the kept HTML)."""

    def write(self):
        from handout_builder.build.output import write_atomic

        write_atomic(Path("/proc/no-such-folder/part.pdf"), b"%PDF-")


def test_a_write_refused_in_a_pool_worker_reaches_the_command_as_its_message():
    """A BuildFailed raised in a worker could not be unpickled in the parent: the pool broke instead."""
    from handout_builder.build.pool import Pool
    from handout_builder.problems import BuildFailed

    with Pool(Writer, 2) as pool:
        with pytest.raises(BuildFailed) as failure:
            pool.submit("write").result()
    [problem] = failure.value.problems
    assert str(problem).startswith("/proc/no-such-folder/part.pdf: error: cannot write here: ")
    assert failure.value.action == "nothing was written"
