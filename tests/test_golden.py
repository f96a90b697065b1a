"""Golden HTML for the sample clinic: the templates' output, reviewed as a diff.
Refresh on purpose with `pytest --update-golden` and read the diff before committing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run

GOLDEN = Path(__file__).parent / "golden"
OUTPUTS = ["about-patches", "testinib", "brochure"]


@pytest.fixture(scope="module")
def rendered_html(tmp_path_factory) -> dict[str, str]:
    from conftest import make_project
    from handout_builder.render.fonts import font_dir

    project = make_project(tmp_path_factory.mktemp("golden") / "project")
    result = run("build", "--html", str(project / "html"), project=project)
    assert result.exit_code == 0, result.output
    pages = {}
    for name in OUTPUTS:
        html = (project / "html/en/letter" / f"{name}.html").read_text()
        # Machine-specific locations become placeholders, so the files compare across machines; so does
        # the content version, which changes with every change to the code as well.
        pages[name] = re.sub(r"Version [0-9a-f]{10}", "Version VERSION", html.replace(
            project.resolve().as_uri(), "PROJECT").replace(font_dir().as_uri(), "FONTS"))
    return pages


@pytest.mark.parametrize("name", OUTPUTS)
def test_golden_html(rendered_html, name, update_golden):
    golden = GOLDEN / f"{name}.html"
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(rendered_html[name])
    assert golden.is_file(), f"no golden file {golden}: run pytest --update-golden and review it"
    assert rendered_html[name] == golden.read_text(), (
        f"{name}.html differs from {golden}; if the change is intended, run pytest --update-golden "
        "and review the diff")
