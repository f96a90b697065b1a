"""Where outputs may go (issue 15 items 3 and 9): never a filesystem root or the project's handouts/,
templates/ or styles/; a patient's copy never inside a build output folder (where it could replace the
front desk's standard PDF); a build never into a folder that holds something else. Each refusal is
`path: error: message`, exit 1, with nothing written and earlier outputs intact."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from conftest import run
from handout_builder.problems import BuildFailed


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes: to show a refused command changed nothing."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(project: Path, *args: str, summary: str = "nothing was built.") -> str:
    """The one problem line of a command that must be refused without writing anything."""
    before = snapshot(project.parent)
    result = run(*args, project=project)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    *problems, problems_summary = result.stderr.strip().splitlines()
    assert len(problems) == 1 and problems_summary.endswith(summary), result.stderr
    assert snapshot(project.parent) == before  # nothing written, earlier outputs intact
    return problems[0]


@pytest.fixture
def built(project, sample_build) -> Path:
    """The project with an output folder a build wrote (out/, holding manifest.json)."""
    shutil.copytree(sample_build, project / "out")
    return project


def copy_args(output: Path) -> tuple[str, ...]:
    return "personalize", "testinib", "--patient", "Ann Lee", "--plan", "Twice a day.", "-o", str(output)


def one_row_csv(folder: Path) -> Path:
    path = folder / "list.csv"
    path.write_text("slug,patient,prescriber,plan,next_visit,lang,paper\ntestinib,Ann Lee,,,,en,letter\n",
                    encoding="utf-8")
    return path


# --- item 3: a patient's copy never goes into a build output folder ----------------------------------------

def test_personalize_over_the_front_desks_pdf_is_refused(built):
    standard = built / "out/en/letter/testinib.pdf"
    assert refused(built, *copy_args(standard)) == (
        "out/en/letter/testinib.pdf: error: this is in the build output folder out, whose PDFs the front desk "
        "prints: patient copies there could replace a standard handout; write to a folder of their own "
        "(e.g. handouts-to-send/) [output-folder]")


def test_personalize_anywhere_below_an_output_folder_is_refused(built):
    assert refused(built, *copy_args(built / "out/patients/testinib.pdf")).startswith(
        "out/patients/testinib.pdf: error: this is in the build output folder out, whose PDFs")
    assert not (built / "out/patients").exists()


@pytest.mark.parametrize("inside", ["out", "out/patients"])
def test_batch_into_or_below_an_output_folder_is_refused(built, tmp_path, inside):
    line = refused(built, "batch", str(one_row_csv(tmp_path)), "--out", str(built / inside))
    assert line.startswith(f"{inside}: error: this is {'in ' if inside != 'out' else ''}the build output "
                           "folder out, whose PDFs the front desk prints: patient copies there")


def test_a_folder_a_killed_first_build_left_is_an_output_folder_too(project, tmp_path):
    (project / "out").mkdir()
    (project / "out/.build.lock").touch()  # taken before a build writes anything; never removed
    assert refused(project, "batch", str(one_row_csv(tmp_path)), "--out", str(project / "out/copies")).startswith(
        "out/copies: error: this is in the build output folder out")


def test_copies_beside_an_output_folder_are_written(built, tmp_path):
    result = run(*copy_args(built / "handouts-to-send/testinib.pdf"), project=built)
    assert result.exit_code == 0, result.output
    result = run("batch", str(one_row_csv(tmp_path)), "--out", str(tmp_path / "to-send"), project=built)
    assert result.exit_code == 0, result.output + result.stderr
    assert [p.name for p in (tmp_path / "to-send").iterdir()] == ["row-0002-testinib.pdf"]


# --- items 3 and 9: never the project's content, templates or styles ---------------------------------------

@pytest.mark.parametrize("folder", ["handouts", "templates", "styles"])
def test_a_build_into_a_project_folder_is_refused(project, folder):
    assert refused(project, "build", "--out", str(project / folder)) == (
        f"{folder}: error: this is the project's {folder}/ folder: built handouts never go among the content, "
        "templates and styles; choose a folder of their own (e.g. out/) [output-folder]")


def test_html_into_the_topics_folder_is_refused(project):
    assert refused(project, "build", "--html", str(project / "handouts/topics")) == (
        "handouts/topics: error: this is in the project's handouts/ folder: HTML files never go among the "
        "content, templates and styles; choose a folder of their own (e.g. out/) [output-folder]")


def test_a_new_folder_inside_a_project_folder_is_refused(project):
    assert refused(project, "build", "--out", str(project / "styles/out")).startswith(
        "styles/out: error: this is in the project's styles/ folder")
    assert not (project / "styles/out").exists()


def test_a_link_to_a_project_folder_is_refused_as_that_folder(project, tmp_path):
    link = tmp_path / "elsewhere"
    link.symlink_to(project / "templates")
    assert refused(project, "build", "--out", str(link)).startswith(
        "templates: error: this is the project's templates/ folder")


@pytest.mark.parametrize("folder", ["handouts/drugs", "templates"])
def test_patient_copies_into_a_project_folder_are_refused(project, tmp_path, folder):
    assert refused(project, *copy_args(project / folder / "testinib.pdf")).startswith(
        f"{folder}/testinib.pdf: error: this is in the project's {folder.split('/')[0]}/ folder: patient copies "
        "never go among")
    assert refused(project, "batch", str(one_row_csv(tmp_path)), "--out", str(project / folder)).startswith(
        f"{folder}: error: this is")


# --- item 9: a build goes into a new, empty or earlier output folder ---------------------------------------

def test_a_build_into_a_folder_holding_other_files_is_refused(project, tmp_path):
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "letter.txt").write_text("mine", encoding="utf-8")
    assert refused(project, "build", "--out", str(documents)) == (
        f"{documents}: error: this folder holds other files and is not an earlier output folder (no "
        "manifest.json): the build would mix its files in with them; choose a new or empty folder "
        "[output-folder]")


def test_a_build_into_the_project_folder_itself_is_refused(project):
    assert refused(project, "build", "--out", str(project)).startswith(
        ".: error: this folder holds other files and is not an earlier output folder")


def test_html_into_a_folder_holding_other_files_is_refused(project, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes/todo.md").write_text("mine", encoding="utf-8")
    assert refused(project, "build", "--html", str(tmp_path / "notes")).endswith(
        "this folder holds files other than the language folders (en/, es/) an earlier --html wrote; choose "
        "a new or empty folder [output-folder]")


def test_a_build_goes_into_an_empty_folder_then_again_into_its_own_output(project, tmp_path):
    out, html = tmp_path / "empty", tmp_path / "html"
    out.mkdir()
    result = run("build", "about-patches", "--out", str(out), "--html", str(html), project=project)
    assert result.exit_code == 0, result.output
    again = run("build", "about-patches", "--out", str(out), "--html", str(html), project=project)
    assert again.exit_code == 0, again.output
    assert (out / "manifest.json").is_file() and [p.name for p in html.iterdir()] == ["en"]


def test_watch_refuses_the_folder_before_it_builds_or_watches(project):
    from handout_builder.build.watch import watch

    stop = threading.Event()
    stop.set()  # were the folder accepted, the watch would build once and stop at once
    with pytest.raises(BuildFailed) as failure:
        watch(project, out_dir=project / "handouts", log=lambda line: None, stop_event=stop)
    assert [p.message.split(":")[0] for p in failure.value.problems] == ["this is the project's handouts/ folder"]
    assert not (project / "handouts/manifest.json").exists()


# --- item 9: never a filesystem root --------------------------------------------------------------------
# Asked of the guard itself: the code before it would have written into / itself.

@pytest.mark.parametrize("receives, target, message", [
    ("build", "/", "this is the filesystem root: built handouts go in a folder of their own (e.g. out/)"),
    ("html", "/", "this is the filesystem root: HTML files go in a folder of their own (e.g. out/)"),
    ("copy", "/testinib.pdf", "this is in the filesystem root: patient copies go in a folder of their own "
                              "(e.g. handouts-to-send/)"),
    ("copies", "/", "this is the filesystem root: patient copies go in a folder of their own "
                    "(e.g. handouts-to-send/)"),
])
def test_the_filesystem_root_is_refused_for_every_output(project, receives, target, message):
    from handout_builder.build.output import output_folder_problem

    problem = output_folder_problem(project, Path(target), receives)
    assert (problem.path, problem.message, problem.code) == (target, message, "output-folder")
    assert str(problem) == f"{target}: error: {message} [output-folder]"



def test_the_app_refuses_to_build_into_the_content_folders(project, tmp_path):
    """`serve --out handouts` would have its rebuild button write PDFs among the clinicians' files: refused
    at start, before the app serves or writes anything (not even its data folder)."""
    line = refused(project, "serve", "--out", str(project / "handouts"), "--data", str(project / "app-data"),
                   summary="the app was not started.")
    assert line.startswith("handouts: error: this is the project's handouts/ folder: built "
                           "handouts never go among the content, templates and styles")
    assert not (project / "app-data").exists()
