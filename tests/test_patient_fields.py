"""The one validator of patient fields (deliver/patient.py) against bidirectional controls, for the command
line, a CSV row and (in test_app_security.py) the app's form; right-to-left names still print, in order."""

from __future__ import annotations

import csv
import io
from datetime import date

import pypdfium2
import pytest

from conftest import pdf_text, run
from handout_builder.deliver.patient import check_request

# Every bidirectional control and isolate: ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
BIDI = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
        "\u2066", "\u2067", "\u2068", "\u2069"]
# The attack of issue 15: without the check this prints "Use 10 pumps, eciwt a day".
REORDERED_PLAN = "Use \u202e01\u202c pumps, \u202etwice\u202c a day"
HEBREW_NAME = "מרים כהן"  # no letter twice, so each one's place on the page can be found
ARABIC_PRESCRIBER = "عائشة"


def checked(**values) -> tuple[object, list[tuple[str, str]]]:
    """The request (or None) and the (field, message) problems of one patient's fields."""
    problems: list[tuple[str, str]] = []
    request = check_request({"slug": "testinib", "patient": "Ann Lee", **values}, lambda lang: {"testinib"},
                            ("en",), date(2030, 1, 1), lambda field, message: problems.append((field, message)))
    return request, problems


@pytest.mark.parametrize("char", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
@pytest.mark.parametrize("field", ["patient", "prescriber", "plan"])
def test_every_bidi_control_is_refused_in_every_printed_field(field, char):
    request, problems = checked(**{field: f"Ann {char}12{char} Lee"})
    assert request is None
    assert problems == [(field, f"{field} contains the bidirectional control U+{ord(char):04X}, which can "
                                "reorder what prints; remove it")]


def test_a_bidi_control_in_a_plan_line_or_a_password_is_refused():
    request, problems = checked(plan="Twice a day.\nUse \u202e01\u202c pumps")
    assert request is None and problems == [("plan", "plan contains the bidirectional control U+202E, which "
                                                     "can reorder what prints; remove it")]
    request, problems = checked(password="s3cret\u200fpass")
    assert request is None and problems == [("password", "password contains the bidirectional control U+200F, "
                                                         "which a PDF password may not hold (the copy might "
                                                         "not open); remove it")]


def test_right_to_left_letters_and_zero_width_characters_pass_as_before():
    for values in ({"patient": HEBREW_NAME, "prescriber": ARABIC_PRESCRIBER, "plan": "מרים: twice a day"},
                   {"patient": "Ann\u200bLee"},  # a zero-width space inside a name: invisible, harmless
                   {"patient": "فرزانه\u200cپور"},  # Persian needs the zero-width non-joiner
                   {"patient": "Ann", "plan": "Soft\u00adhyphen and zero\u200dwidth joiner"}):
        request, problems = checked(**values)
        assert problems == [] and request is not None, values
    request, problems = checked(patient="\u200b\u200c")
    assert problems == [("patient", "patient has no visible character")]


def test_personalize_refuses_a_reordering_plan_by_its_option(project):
    out = project / "copy.pdf"
    result = run("personalize", "testinib", "--patient", "Ann Lee", "--plan", REORDERED_PLAN, "-o", str(out),
                 project=project)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "--plan: error: plan contains the bidirectional control U+202E, which can reorder what prints; "
        "remove it [patient-field]",
        "1 problem with --plan; nothing was built."]
    assert "Ann Lee" not in result.output and not out.exists()


def test_a_csv_row_with_a_bidi_control_is_refused_by_its_line(project, tmp_path):
    csv_path = tmp_path / "list.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["slug", "patient", "prescriber", "plan", "next_visit", "lang", "paper"])
    writer.writerow(["testinib", "Ann Lee", "Dr Díaz", "Twice a day.", "", "en", "letter"])
    writer.writerow(["testinib", "Bo Chan", "Dr \u2067Díaz\u2069", "Twice a day.", "", "en", "letter"])
    writer.writerow(["testinib", "Cy Diaz", "", REORDERED_PLAN, "", "en", "letter"])
    csv_path.write_text(buffer.getvalue(), encoding="utf-8")
    out = tmp_path / "to-send"
    result = run("batch", str(csv_path), "--out", str(out), "--jobs", "1", project=project)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if ": error: " in line] == [
        f"{csv_path}:3: error: prescriber contains the bidirectional control U+2067, which can reorder what "
        "prints; remove it [csv-row]",
        f"{csv_path}:4: error: plan contains the bidirectional control U+202E, which can reorder what prints; "
        "remove it [csv-row]"]
    assert [p.name for p in out.iterdir()] == ["row-0002-testinib.pdf"]
    assert "built 1 of 3 rows" in result.output


def x_of_each(page, word: str) -> list[float]:
    """The left edge on the page of each letter of `word` (which holds no letter twice), in typed order."""
    text = page.get_textpage()
    places = {text.get_text_range(i, 1): text.get_charbox(i)[0] for i in range(text.count_chars())}
    return [places[letter] for letter in word]


def test_a_hebrew_name_and_an_arabic_prescriber_print_right_to_left(project):
    out = project / "copy.pdf"
    result = run("personalize", "testinib", "--patient", HEBREW_NAME, "--prescriber", ARABIC_PRESCRIBER,
                 "--plan", "Twice a day.", "-o", str(out), project=project)
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    assert "Prepared for" in text and all(word in text for word in (*HEBREW_NAME.split(), ARABIC_PRESCRIBER))
    page = pypdfium2.PdfDocument(out)[0]
    # Right to left: each letter typed after another stands to its left (the first name first, rightmost).
    for word in (HEBREW_NAME.replace(" ", ""), ARABIC_PRESCRIBER):
        places = x_of_each(page, word)
        assert places == sorted(places, reverse=True), (word, places)
