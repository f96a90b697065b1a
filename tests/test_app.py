"""The clinic's app, driven in Chromium against the real server: each role's main flow (with the keyboard
alone for the front desk and the clinician), printing to the real cups-pdf queue, email to a real SMTP
server, axe-core on every page, and afterwards a scan for the planted patient's name everywhere it must
not be."""

from __future__ import annotations

import io
import re
import sqlite3
import time

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from app_helpers import PASSWORD, PATIENT, Server, add_accounts, app_project
from test_print import QUEUE, cups_pdf_folder, cups_server, needs_cups  # noqa: F401

PLAN = "Apply a thin layer twice a day.\nStop if the skin burns."
pytestmark = needs_cups


@pytest.fixture(scope="module")
def smtp(request):
    # test_batch's server is function-scoped; one for the module here.
    from aiosmtpd.controller import Controller

    from test_print import free_port

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Keep()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, cups_server, smtp):
    folder = tmp_path_factory.mktemp("app")
    project = app_project(folder / "project", smtp.port)
    running = Server(project, folder, env={"CUPS_SERVER": cups_server}, args=("--printer", QUEUE))
    add_accounts(running.data_dir)
    running.start()
    running.seen = {"urls": [], "cacheable": []}  # what the browser saw, for the scan at the end
    yield running
    running.stop()


@pytest.fixture
def page(chromium, server):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("request", lambda request: server.seen["urls"].append(request.url))

    def keep_cacheable(response):
        if "no-store" not in (response.headers.get("cache-control") or ""):
            try:
                server.seen["cacheable"].append((response.url, response.body()))
            except Exception:  # noqa: BLE001 - a redirect or an aborted response has no body
                pass
    page.on("response", keep_cacheable)
    yield page
    server.seen.setdefault("cookies", []).extend(context.cookies())
    context.close()


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element is focused: it can be reached with the keyboard alone."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def sign_in_with_keyboard(page, server, name: str) -> None:
    page.goto(server.base + "/sign-in")
    tab_to(page, "#name")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/handouts/"))


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))


def printed(job_id: str, title: str, since: float, timeout_s: float = 90) -> PdfReader:
    """The PDF cups-pdf wrote for the app's job (named after its title and number), read and removed.
    The folder is shared by every CUPS test on this computer: the title and time tell ours."""
    number = job_id.rsplit("-", 1)[1]
    deadline = time.monotonic() + timeout_s
    folder = cups_pdf_folder()
    while time.monotonic() < deadline:
        for path in folder.glob(f"{title}*job_{number}.pdf") if folder.is_dir() else ():
            data = path.read_bytes()
            if path.stat().st_mtime >= since - 1 and data.rstrip().endswith(b"%%EOF"):
                time.sleep(0.2)
                data = path.read_bytes()
                path.unlink()
                return PdfReader(io.BytesIO(data))
        time.sleep(0.2)
    raise AssertionError(f"cups-pdf wrote no PDF for {job_id} within {timeout_s} s")


def given(server) -> list[sqlite3.Row]:
    with sqlite3.connect(server.data_dir / "app.sqlite3") as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute("SELECT * FROM given ORDER BY id").fetchall()


def test_front_desk_finds_previews_prints_and_prints_a_basket_with_the_keyboard(page, server):
    sign_in_with_keyboard(page, server, "desk")
    assert [a.inner_text() for a in page.locator("nav a").all()] == ["Handouts", "Basket"]  # the role's pages
    tab_to(page, "#q")
    page.keyboard.type("testi")  # as you type: a part of the generic name
    page.wait_for_url(re.compile(r"q=testi&"))  # the last answer is in: the search can be bookmarked
    expect(page.locator("#result-count")).to_have_text("1 handout")
    card = page.locator(".card")
    assert card.locator("h2").inner_text() == "Testo (testinib cream)"

    preview = card.get_by_role("link", name="Preview Testo (testinib cream)")
    response = page.request.get(server.base + preview.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    pages = len(PdfReader(io.BytesIO(response.body())).pages)

    since = time.time()
    tab_to(page, "#copies-testinib")
    page.keyboard.press("Tab")  # the Print button
    page.keyboard.press("Enter")
    message = page.locator(".message.done").inner_text()
    match = re.fullmatch(rf"Sent to the printer: job ({QUEUE}-\d+), 1 copy of Testo \(testinib cream\), "
                         "double-sided.", message)
    assert match, message
    assert len(printed(match[1], "app-testinib", since).pages) == pages

    # The basket: two handouts, one job.
    page.goto(server.base + "/handouts/?q=")
    for slug in ("about-patches", "testinib"):
        page.locator(f"#card-{slug}").get_by_role("button", name=re.compile("^Add to basket")).click()
    assert page.locator(".message.done").inner_text() == "The basket holds 2 handouts."
    page.get_by_role("link", name="Basket: 2 handouts").click()
    assert page.locator(".basket li").count() == 2
    since = time.time()
    page.get_by_role("button", name="Print all 2 handouts").click()
    job = re.search(rf"job ({QUEUE}-\d+), 1 copy of About patches, Testo", page.locator(".message.done").inner_text())
    assert job
    first = len(PdfReader(server.project / "out/en/letter/about-patches.pdf").pages)
    # One job, each handout on sheets of its own (double-sided: an odd one gets a blank back).
    assert len(printed(job[1], "app-basket", since).pages) == first + first % 2 + pages
    assert page.get_by_text("The basket is empty.").is_visible()

    # A favourite comes first and stays one.
    page.goto(server.base + "/handouts/")
    page.locator("#card-testinib").get_by_role("button", name=re.compile("^Favourite")).click()
    assert page.locator(".card h2").first.inner_text().startswith("Testo")
    assert page.locator("#card-testinib button[aria-pressed='true']").count() == 1
    records = given(server)
    assert [(r["slug"], r["how"], r["personalised"]) for r in records[-3:]] == [
        ("testinib", "printed", 0), ("about-patches", "printed", 0), ("testinib", "printed", 0)]
    sign_out(page)
    page.goto(server.base + "/handouts/")
    assert "/sign-in" in page.url


def press(page, selector: str, key: str = "Enter") -> None:
    """Reach a control with Tab and press a key on it."""
    tab_to(page, selector)
    page.keyboard.press(key)


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_clinician_personalises_downloads_emails_and_prints(page, server, smtp):
    sign_in_with_keyboard(page, server, "doc")
    tab_to(page, "nav a[href='/patient/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/patient/"))
    tab_to(page, "#slug")
    page.keyboard.type("Testo")  # a select picks the option whose name is typed
    assert page.input_value("#slug") == "testinib"
    type_into(page, "#patient", PATIENT)
    type_into(page, "#prescriber", "Dr Ana Díaz")
    tab_to(page, "#plan")
    page.keyboard.type("Apply a thin layer twice a day.")
    page.keyboard.press("Enter")  # a new line in the plan, not a submit
    page.keyboard.type("Stop if the skin burns.")
    tab_to(page, "#next_visit")
    page.keyboard.type("03012099")  # the date field: month, day, year
    assert page.input_value("#next_visit") == "2099-03-01"

    # Preview: the PDF in a new tab, not encrypted, not recorded (the answer read as the browser gets it).
    answers = []

    def keep(route):
        answer = route.fetch()
        answers.append((answer.headers, answer.body()))
        route.fulfill(response=answer)
    page.context.route(re.compile(r"/patient/$"), keep)
    with page.expect_popup() as popup:
        press(page, "button[value='preview']")
    popup.value.wait_for_load_state()
    page.context.unroute(re.compile(r"/patient/$"))
    headers, body = answers[-1]
    assert headers["cache-control"] == "no-store" and headers["content-type"] == "application/pdf"
    assert headers["content-disposition"] == 'inline; filename="testinib.pdf"'
    reader = PdfReader(io.BytesIO(body))
    sheet = " ".join(reader.pages[0].extract_text().split())
    assert not reader.is_encrypted and PATIENT in sheet and PLAN.replace("\n", " ") in sheet
    popup.value.close()
    recorded = len(given(server))

    # Download: a password made up by the app, shown once, then the encrypted PDF.
    with page.expect_navigation():
        press(page, "button[value='password']")
    password = page.input_value("#password")
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
    assert page.input_value("#patient") == PATIENT  # the form came back filled in
    with page.expect_download() as download:
        press(page, "button[value='download']")
    assert download.value.suggested_filename == "testinib.pdf"
    reader = PdfReader(download.value.path())
    assert reader.is_encrypted and reader.decrypt(password)
    sheet = reader.pages[0].extract_text()
    record = given(server)[-1]
    assert record["how"] == "downloaded" and record["personalised"] == 1 and record["user"] == "doc"
    assert PATIENT in sheet and f"Record {record['record']}" in sheet
    assert all(PATIENT not in p.extract_text() for p in reader.pages[1:])  # the name on the plan sheet only

    # Email: the PDF goes, encrypted; the password does not.
    type_into(page, "#password", "typed by the clinician")
    type_into(page, "#email", "patient@example.org")
    with page.expect_navigation():
        press(page, "button[value='email']")
    notice = page.locator(".message.done").inner_text()
    assert notice.startswith("Emailed. Record ")
    message = smtp.messages[-1]
    assert message.rcpt_tos == ["patient@example.org"]
    raw = message.content.decode()
    assert "typed by the clinician" not in raw and PATIENT not in raw
    from email import message_from_bytes
    attachment = next(part for part in message_from_bytes(message.content).walk()
                      if part.get_content_type() == "application/pdf")
    reader = PdfReader(io.BytesIO(attachment.get_payload(decode=True)))
    assert reader.decrypt("typed by the clinician") and PATIENT in reader.pages[0].extract_text()
    assert given(server)[-1]["how"] == "emailed"

    # Print: on paper, with its record id.
    since = time.time()
    with page.expect_navigation():
        press(page, "button[value='print']")
    notice = page.locator(".message.done").inner_text()
    job = re.search(rf"job ({QUEUE}-\d+), 1 copy, double-sided. Record (\S+)\.", notice)
    assert job, notice
    # cups-pdf prints the pages as drawings (no text to read back): the plan sheet and the handout.
    assert len(printed(job[1], "app-testinib", since).pages) == len(reader.pages)
    records = given(server)
    assert len(records) == recorded + 3 and records[-1]["record"] == job[2]
    sign_out(page)


def test_content_owner_sees_the_checks_and_rebuilds_with_progress(page, server):
    sign_in_with_keyboard(page, server, "owner")
    page.get_by_role("link", name="Content", exact=True).click()
    assert page.locator("h1").inner_text() == "Content checks"
    assert page.get_by_role("heading", name=re.compile(r"^0 problems")).is_visible()
    reviews = page.locator("#reviews + .table-wrap tbody tr")
    assert reviews.count() == 4  # two handouts, two languages
    page.get_by_text("Testo (testinib cream) (English)", exact=True).click()  # open its sections
    rows = page.locator("details[open] tbody tr")
    assert rows.count() >= 5 and re.match(r"handout 'Testo.*grade +\d+\.\d", rows.first.inner_text(), re.S)
    page.get_by_text("Testo (testinib crema) (Spanish)", exact=True).click()
    assert "INFLESZ" in page.locator("details[open]").last.inner_text()  # each language's own scale

    # A mistake in a content file: the check page names the file and line; a rebuild stops on it.
    drug = server.project / "handouts/drugs/testinib.en.yaml"
    original = drug.read_text()
    drug.write_text(original.replace("route:", "rout:", 1))
    try:
        page.reload()
        problems = page.locator("#problems + .table-wrap tbody tr")
        assert problems.count() >= 1
        assert re.search(r"handouts/drugs/testinib\.en\.yaml:\d+", problems.first.inner_text())
        page.get_by_role("button", name="Rebuild now").click()
        page.wait_for_selector("#job-state.failed", timeout=60_000)
        assert "Stopped: nothing was replaced." in page.locator("#job-state").inner_text()
        assert "testinib.en.yaml" in page.locator("#job-problems").inner_text()
    finally:
        drug.write_text(original)

    page.goto(server.base + "/content/")
    press(page, "form[action='/content/rebuild'] button")
    lines = page.locator("#job-lines li")
    page.wait_for_selector("#job-state.done", timeout=90_000)
    assert any(line.startswith(("wrote ", "up to date")) for line in lines.all_inner_texts())

    # In the app in Spanish, languages are named in Spanish; its picker names each language in itself.
    page.select_option("#app-language", "es")
    page.get_by_role("button", name="Change").click()
    page.goto(server.base + "/content/")
    assert page.get_by_text("Testo (testinib crema) (Español)", exact=True).is_visible()
    assert page.get_by_text("Testo (testinib cream) (Inglés)", exact=True).is_visible()
    assert page.locator("#app-language option").all_inner_texts() == ["English", "Español"]
    page.select_option("#app-language", "en")
    page.get_by_role("button", name="Cambiar").click()
    page.wait_for_selector("text=Content checks")
    sign_out(page)


def test_marketing_builds_the_leaflet_and_downloads_it(page, server):
    sign_in_with_keyboard(page, server, "market")
    press(page, "nav a[href='/brochures/']")
    page.wait_for_url(re.compile("/brochures/"))
    tab_to(page, "#what-brochure")
    for _ in range(3):  # arrow keys move through the radio buttons: brochure, print shop, booklet, leaflet
        page.keyboard.press("ArrowDown")
    assert page.is_checked("#what-leaflet")
    press(page, "form[action='/brochures/build'] button[type='submit']")
    page.wait_for_selector("#job-state.done", timeout=90_000)
    link = page.locator("#job-outputs a").first
    assert "leaflet" in link.inner_text()
    with page.expect_download() as download:
        link.click()
    assert len(PdfReader(download.value.path()).pages) == 2  # a tri-fold: two sides
    sign_out(page)


def test_admin_adds_an_account_and_exports_the_education_record(page, server):
    sign_in_with_keyboard(page, server, "boss")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.fill("#new-name", "new.desk")
    page.select_option("#new-role", "front-desk")
    page.fill("#new-password", "password")  # common and short: refused beside the field
    page.fill("#new-again", "password")
    page.get_by_role("button", name="Add the account").click()
    assert "at least 12" in page.locator("#password-error").inner_text()
    page.fill("#new-password", "a much better pass phrase")
    page.fill("#new-again", "a much better pass phrase")
    page.get_by_role("button", name="Add the account").click()
    assert page.locator(".message.done").inner_text() == "Added new.desk."
    with page.expect_download() as download:
        page.get_by_role("button", name="Export the record (CSV)").click()
    rows = download.value.path().read_text().splitlines()
    assert rows[0] == "record,at,user,slug,lang,paper,variant,how,personalised,copies"
    assert any(",doc,testinib,en,letter,regular,emailed,1,1" in row for row in rows)
    sign_out(page)


PAGES = {  # every page, signed in as a role that may see it (and the refusal a front desk account gets)
    "desk": ["/handouts/", "/handouts/?q=zzzz", "/handouts/basket", "/account", "/admin/"],
    "doc": ["/patient/"],
    "owner": ["/content/"],
    "market": ["/brochures/"],
    "boss": ["/admin/"],
}


def axe_problems(axe, page) -> list:
    results = axe.run(page)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_every_page_passes_axe_and_fits_360_px(chromium, server):
    """No serious or critical axe-core violation at 1280 px, no sideways scrolling at 360 px, and no
    request a page makes for what it shows that fails (a missing stylesheet, logo or icon; the front
    desk's refused admin page is itself a 403, on purpose)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = {}
    too_wide = []
    failed = []
    for name, paths in PAGES.items():
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.on("response", lambda response: failed.append((response.status, response.url)) if
                response.status >= 400 and response.request.resource_type != "document" else None)
        page.goto(server.base + "/sign-in")
        if name == "desk":
            found["/sign-in"] = axe_problems(axe, page)
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/(handouts|admin)/"))
        for path in paths:
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(server.base + path)
            found[(name, path)] = axe_problems(axe, page)
            page.set_viewport_size({"width": 360, "height": 740})
            if page.evaluate("document.documentElement.scrollWidth") > 360:
                too_wide.append((name, path))
        context.close()
    assert {where: bad for where, bad in found.items() if bad} == {}
    assert too_wide == []
    assert failed == []


def test_the_patients_name_is_nowhere_but_in_the_pdfs(server):
    """After the flows above: not in the server's log, a URL, a cookie, a file of the data or temporary
    folders, or any response a browser may keep (one without no-store)."""
    seen = server.seen
    assert seen["urls"], "the flows ran first"
    assert PATIENT not in server.log()
    assert all(PATIENT not in url for url in seen["urls"])
    assert all(PATIENT not in (c["name"] + c["value"]) for c in seen.get("cookies", []))
    assert all(PATIENT.encode() not in body for _, body in seen["cacheable"])
    for folder in (server.data_dir, server.temp):
        for path in folder.rglob("*"):
            if path.is_file():
                assert PATIENT.encode() not in path.read_bytes(), path
                assert PATIENT.encode("utf-16-le") not in path.read_bytes(), path
    assert PATIENT.encode() not in b"".join(p.read_bytes() for p in server.project.rglob("*") if p.is_file()
                                            and p.suffix != ".pdf")
