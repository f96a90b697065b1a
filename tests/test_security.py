"""WeasyPrint reads only the project's own assets: hostile URLs in content, brand, SVG or CSS are
refused with a message naming them, and never fetched (a listening socket proves no request arrives)."""

from __future__ import annotations

import socket

import pytest

from conftest import run
from test_validation import BRAND, TOPIC, edit, problems_of


@pytest.fixture
def listener():
    """A TCP socket on 127.0.0.1 that records whether anybody connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)

    class Listener:
        url = f"http://127.0.0.1:{server.getsockname()[1]}"

        @staticmethod
        def connections() -> int:
            count = 0
            while True:
                try:
                    conn, _ = server.accept()
                except BlockingIOError:
                    return count
                conn.close()
                count += 1

    yield Listener
    server.close()


@pytest.mark.parametrize("src, reason", [
    ("file:///etc/passwd", "images must be files in handouts/images/, named by a relative path"),
    ("../../../../etc/passwd", "it is outside handouts/images/"),
    ("images/../../templates/base.html.j2", "it is outside handouts/images/"),
    ("/etc/passwd", "images must be files in handouts/images/, named by a relative path"),
])
def test_content_image_outside_the_assets_is_refused(project, src, reason):
    edit(project, TOPIC, "We can treat it.", f"We can treat it.\n\n![A patch]({src})")
    assert problems_of(project) == [f"{TOPIC}:24: error: image {src} is refused: {reason} [image]"]


def test_content_image_url_is_refused_and_not_fetched(project, listener):
    src = f"{listener.url}/patch.svg"
    edit(project, TOPIC, "We can treat it.", f"We can treat it.\n\n![A patch]({src})")
    assert problems_of(project) == [
        f"{TOPIC}:24: error: image {src} is refused: images must be files in handouts/images/, named by a "
        "relative path [image]"]
    assert listener.connections() == 0


@pytest.mark.parametrize("logo, reason", [
    ("../../../../etc/passwd", "it is outside the brand file's folder"),
    ("file:///etc/passwd", "give a file path relative to the brand file"),
    ("http://127.0.0.1:9/logo.svg", "give a file path relative to the brand file"),
])
def test_brand_logo_outside_the_brand_folder_is_refused(project, logo, reason):
    edit(project, BRAND, 'logo = "logo.svg"', f'logo = "{logo}"')
    assert problems_of(project) == [f"{BRAND}:7: error: logo {logo!r} is refused: {reason} [schema]"]


def test_urls_inside_an_svg_logo_are_refused_and_not_fetched(project, listener):
    (project / "handouts/logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10" height="10">'
        f'<image width="10" height="10" xlink:href="{listener.url}/tracker.png"/>'
        '<image width="10" height="10" xlink:href="file:///etc/hostname"/></svg>')
    problems = problems_of(project, "build", "testinib")
    assert any(f"refused to fetch {listener.url}/tracker.png" in p for p in problems), problems
    assert any("refused to fetch file:///etc/hostname" in p for p in problems), problems
    assert listener.connections() == 0


def test_urls_in_stylesheets_are_refused_and_not_fetched(project, listener):
    css = project / "styles/components.css"
    css.write_text(css.read_text() + f"\nbody {{ background: url({listener.url}/bg.png); }}\n"
                   "h1 { background: url(file:///etc/hostname); }\n")
    problems = problems_of(project, "build", "testinib")
    assert problems == [
        "handouts/drugs/testinib.en.yaml: error: refused to fetch file:///etc/hostname: only files in the "
        "project's styles/, handouts/images/ and the brand file's folder are read [fetch]",
        f"handouts/drugs/testinib.en.yaml: error: refused to fetch {listener.url}/bg.png: only files in the "
        "project's styles/, handouts/images/ and the brand file's folder are read [fetch]"]
    assert listener.connections() == 0


def test_markup_in_content_is_text_not_html(project):
    edit(project, TOPIC, "We can treat it.",
         'We can treat it. <img src="http://127.0.0.1:9/x.png"> <script>alert(1)</script> {{ clinic }}')
    result = run("build", "about-patches", "--html", str(project / "html"), project=project)
    assert result.exit_code == 0, result.output
    html = (project / "html/en/letter/about-patches.html").read_text()
    assert "&lt;img src=&#34;http://127.0.0.1:9/x.png&#34;&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ clinic }}" in html
    assert "<script>" not in html


def test_the_fetcher_only_serves_the_asset_folders(project, tmp_path):
    from handout_builder.pdf.engine import asset_roots, make_fetcher

    refused: list[str] = []
    fetcher = make_fetcher(asset_roots(project, project / BRAND), refused)
    assert fetcher.fetch((project / "styles/pages.css").as_uri()).read().startswith(b"/*")
    secret = tmp_path / "secret.css"
    secret.write_text("secret")
    # The project is tmp_path/project, so styles/../../secret.css climbs out of styles/ to a real file.
    assert (project / "styles/../../secret.css").resolve() == secret.resolve()
    hostile = [secret.as_uri(), (project / "templates/base.html.j2").as_uri(),
               project.as_uri() + "/styles/../../secret.css", "http://127.0.0.1:9/", "ftp://127.0.0.1/x"]
    for url in hostile:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert refused == hostile  # each refused URL is recorded as given, for the build's message
