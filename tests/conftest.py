"""Shared fixtures: a small sample clinic (tests/sample) built with the real templates and styles,
the real content in handouts/, and helpers to read the PDFs they produce."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from make_handouts import cli

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "sample"
# A press profile for the print-shop tests: Ghostscript's generic CMYK (SWOP) profile, from Debian's
# libgs-common, which `make test` installs (no profile is kept in the repository: the profile is the print
# shop's).
GHOSTSCRIPT_CMYK = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite the golden HTML files in tests/golden from the current output.")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def make_project(folder: Path, handouts: Path = SAMPLE / "handouts") -> Path:
    """A project folder: the given content with the repository's templates and styles."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(handouts, folder / "handouts")
    shutil.copytree(REPO / "templates", folder / "templates")
    shutil.copytree(REPO / "styles", folder / "styles")
    shutil.copytree(REPO / "locales", folder / "locales")
    return folder


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh, editable copy of the sample clinic."""
    return make_project(tmp_path / "project")


def edit(project: Path, relative: str, old: str, new: str) -> None:
    """Replace the first `old` in a project file with `new` (which must be there)."""
    path = project / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def self_signed(folder: Path, stem: str, dns_names: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and `dns_names`) and its key, as PEM files STEM-cert.pem
    and STEM-key.pem in `folder`: for a real TLS server in a test, which the client trusts by this file."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{stem} test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), *map(x509.DNSName, dns_names)]
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{stem}-cert.pem", folder / f"{stem}-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


# A section far above grade 8, for the reading-level rule.
LONG_WINDED_SECTION = ("\n## Why treatment takes time\n\n"
                       "Repigmentation of depigmented epidermal areas, particularly on the extremities, "
                       "proceeds considerably more slowly than repigmentation of facial areas, because "
                       "follicular melanocyte reservoirs are comparatively sparse in acral regions.\n")


def run(*args: str, project: Path | None = None, input: str | None = None):
    """Run the CLI in-process (`input` is typed at its prompts); returns click's Result."""
    prefix = ["--project", str(project)] if project else []
    return CliRunner().invoke(cli, [*prefix, *args], input=input, catch_exceptions=False)


def built_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder `make` fills once for the whole test run: with pytest-xdist (`make test` runs two workers),
    the first worker to ask makes it and the others wait for it, so the real content is not built twice.
    Tests only read it (or copy it first)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, shared by its workers
    folder, done = base / name, base / f"{name}.done"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half-way
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


def _build(*args: str, project: Path) -> None:
    result = run("build", *args, project=project)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """The sample clinic built once (letter): its output folder."""
    folder = built_once(tmp_path_factory, "sample", lambda folder: _build(project=make_project(folder / "project")))
    return folder / "project" / "out"


@pytest.fixture(scope="session")
def real_build(tmp_path_factory) -> Path:
    """The real content in handouts/ built once (letter): its output folder."""
    folder = built_once(tmp_path_factory, "real", lambda folder: _build("--out", str(folder / "out"), project=REPO))
    return folder / "out"


def translation_pairs(lang: str = "es", used_in: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(English, translation) of each string of a language's gettext catalog (each form of a plural), or
    only of those used in one of the files `used_in`."""
    from babel.messages.pofile import read_po

    with (REPO / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        messages = [m for m in read_po(po) if m.id]
    pairs = []
    for m in messages:
        if used_in and not any(path in used_in for path, _ in m.locations):
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        pairs += [(english, translated) for english in ids for translated in strings]
    return pairs


@pytest.fixture(scope="session")
def press_profile() -> Path:
    assert GHOSTSCRIPT_CMYK.is_file(), "Ghostscript's CMYK profile is missing: `make test-tools` installs libgs-common"
    return GHOSTSCRIPT_CMYK


def press_brand(folder: Path, brand_file: Path, profile: Path, table: str = 'profile = "press.icc"\n') -> Path:
    """A copy of a brand file and its logo in `folder`, with the press profile beside it and a [print] table."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(brand_file.parent / "logo.svg", folder / "logo.svg")
    shutil.copy(profile, folder / "press.icc")
    (folder / "clinic.toml").write_text(brand_file.read_text() + "\n[print]\n" + table)
    return folder / "clinic.toml"


@pytest.fixture(scope="session")
def real_press_build(tmp_path_factory, press_profile) -> Path:
    """The real content's print-shop brochure (letter) for a press, built once: its output folder."""
    def make(folder: Path) -> None:
        brand = press_brand(folder / "brand", REPO / "handouts/clinic.toml", press_profile)
        _build("--print-shop", "--brand", str(brand), "--out", str(folder / "out"), project=REPO)

    return built_once(tmp_path_factory, "press", make) / "out"


def assert_tagged(reader, lang: str = "en") -> None:
    """The document-level marks of a tagged PDF (PDF/UA-1) that screen readers rely on."""
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == lang
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])


def assert_contents_match_chapters(reader, chapters: int) -> None:
    """The brochure's contents page (page 2) lists `chapters` entries, and each page number it gives is
    the page whose first line (past a "Page X of Y" printed at the top) is that entry's title."""
    import re

    contents = reader.pages[1].extract_text()
    entries = re.findall(r"^(.+?)\s*\.{3,}\s*(\d+)\s*$", contents, flags=re.MULTILINE)
    assert len(entries) == chapters, contents
    for title, number in entries:
        lines = [line for line in reader.pages[int(number) - 1].extract_text().splitlines()
                 if line.strip() and not line.startswith("Page ")]
        assert " ".join(lines[0].split()).startswith(" ".join(title.split())[:25]), (title, number, lines[0])


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    # WeasyPrint's automatic hyphen comes out as U+2010 and a line break.
    return text.replace("\u2010\n", "").replace("-\n", "-")


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for every browser test of the session."""
    from playwright.sync_api import sync_playwright

    chromium_path = Path("/usr/bin/chromium")
    if not chromium_path.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()
