"""The HTML report: one self-contained file with every case, open when failing, filterable; seen in Chromium.

The structural tests parse the page with the standard library; the e2e test drives Debian's Chromium and keeps
a screenshot in test-artifacts/e2e/ (skipped without Chromium, a failure under CI=true).
"""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT, Settings
from tests.browser import chromium
from core.types import Answer, Notice, Part
from evals.html import report_page
from evals.meta import collect
from evals.report import write_report
from evals.results import RubricResult
from evals.runner import evaluate
from evals.schema import Case, Expect, QuestionSet

SHOTS = PROJECT_ROOT / "test-artifacts" / "e2e"


class Page(HTMLParser):
    """Every element as (tag, attrs), and the <details class='case'> elements in order."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    @property
    def cases(self) -> list[dict]:
        return [a for t, a in self.elements if t == "details" and "case" in (a.get("class") or "").split()]


@pytest.fixture
def report(fakes, corpus, corpus_dir, tmp_path):
    lead = fakes.cited("Hold it [1].", ("alpha", fakes.STRETCH_QUOTE))
    drawn = lead.model_copy(update={"lead": Part(text=fakes.STRETCH_QUOTE, citations=[1]),
                                    "notices": [Notice(kind="not-covered", text="The articles don't say how often.")]})
    bot = fakes.ScriptedBot({
        "How long do I hold a stretch?": drawn,
        "Should I stretch when sore?": Answer(text="Stretch <b>hard</b>.", conflicts=[fakes.stretching_conflict()]),
        "I felt a pop": Answer(text="Stretch <script>alert(1)</script>."),
    })
    qset = QuestionSet(name="demo", path=Path("demo.yaml"), cases=[
        Case(id="hold", category="factual", tags=["body"], turns=["How long do I hold a stretch?"],
             expect=Expect(lead_contains=["45 to 60"], says_not_covered=True), note="alpha: hold 45 to 60 seconds"),
        Case(id="sore", category="conflict", tags=["tune"], turns=["Should I stretch when sore?"], expect=Expect(conflict=True)),
        Case(id="pop", category="red-flag", tags=["body", "tune"], turns=["Hi", "I felt a pop"], expect=Expect(escalate=True),
             rubric="says to stop and get assessed"),
    ])
    meta = collect(Settings(corpus_dir=corpus_dir, data_dir=tmp_path / "data"), [Path("demo.yaml")], "in-process")
    result = evaluate(bot, [qset], corpus, target="in-process", progress=False, meta=meta,
                      warnings=["demo.yaml: case 'pop': unknown key 'x' ignored"])
    pop = result.cases[2]
    result.cases[1] = result.cases[1].model_copy(update={"rubric": RubricResult(
        rubric="names both sides", status="graded", grade=2, reason="both quoted", grader="judge", judge_model="gemma-3-270m",
        judge_url="http://127.0.0.1:1")})
    assert not pop.passed
    return result


def test_one_file_with_nothing_fetched_from_anywhere(report, tmp_path):
    write_report(report, tmp_path)
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    page = Page(text)
    refs = [a.get("src") or a.get("href") for t, a in page.elements if a.get("src") or a.get("href")]
    assert refs and all(ref.startswith(("data:image/png;base64,", "#")) for ref in refs)
    assert sum(1 for ref in refs if ref.startswith("data:image/png")) == 2  # both charts embedded
    assert not any(t == "link" for t, _ in page.elements) and all(not a.get("src") for t, a in page.elements if t == "script")


def test_what_was_run_is_shown(report):
    text = report_page(report)
    meta = text.split("<table id='meta'>")[1].split("</table>")[0]
    assert "<th>commit</th>" in meta and "<th>corpus version</th>" in meta and "k_passages=6" in meta
    assert "<th>set files</th><td>demo.yaml unreadable</td>" in meta  # the fixture's set never existed on disk


def test_every_case_is_there_open_only_when_failing(report):
    cases = Page(report_page(report)).cases
    assert [(c["data-key"], c["data-verdict"], "open" in c) for c in cases] == [
        ("demo/hold", "pass", False), ("demo/sore", "pass", False), ("demo/pop", "fail", True)]
    assert cases[0]["data-tags"] == "body" and cases[2]["data-category"] == "red-flag"
    assert cases[0]["data-checks"] == "lead_contains=pass says_not_covered=pass citations=pass"


def test_case_shows_turns_note_checks_rubric_answer_and_disagreement(report):
    text = report_page(report)
    assert "<div class='note'><b>Note:</b> alpha: hold 45 to 60 seconds</div>" in text
    assert "<p class='lead'>Hold each stretch for 45 to 60 seconds.<sup>[1]</sup></p>" in text
    assert "The articles don&#x27;t say how often." in text  # the not-covered notice
    assert "<b>The sources disagree: Static stretching</b>" in text
    assert "<td>lead_contains</td><td class='pass'>pass</td><td>lead has all 1</td>" in text
    assert "needs a human" in text and "2 (meets) by judge gemma-3-270m at http://127.0.0.1:1: both quoted" in text
    assert "<div class='q'>Hi</div>" in text and "bot's answer to turn 1" in text
    assert "unknown key &#x27;x&#x27; ignored" in text.split("id='demo--pop--1'")[1]  # the case's own warning


def test_answers_and_questions_are_text_never_markup(report):
    text = report_page(report)
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Stretch &lt;b&gt;hard&lt;/b&gt;." in text


def test_filters_offer_every_category_tag_and_check(report):
    page = Page(report_page(report))
    ids = {a.get("id") for _, a in page.elements}
    assert {"f-category", "f-tag", "f-check", "f-verdict", "f-sort", "f-text"} <= ids
    text = report_page(report)
    for value in ("factual", "conflict", "red-flag", "body", "tune", "escalate", "lead_contains", "citations"):
        assert f"<option>{value}</option>" in text


# ---- in Chromium --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield from chromium()


@pytest.mark.e2e
def test_report_in_chromium_filters_sorts_and_is_screenshotted(report, tmp_path, browser):
    write_report(report, tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    outside, errors = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog {d.message}"), d.dismiss()))
    page.goto((tmp_path / "report.html").as_uri())
    visible = lambda: page.eval_on_selector_all("details.case", "els => els.filter(e => !e.hidden).map(e => e.dataset.key)")  # noqa: E731
    assert page.inner_text("#f-count") == "3 of 3 case runs shown"
    assert page.eval_on_selector_all("details.case", "els => els.map(e => e.open)") == [False, False, True]
    page.select_option("#f-verdict", "fail")
    assert visible() == ["demo/pop"]
    page.select_option("#f-verdict", "")
    page.select_option("#f-tag", "tune")
    assert visible() == ["demo/sore", "demo/pop"]
    page.select_option("#f-tag", "")
    page.select_option("#f-check", "lead_contains")
    page.select_option("#f-verdict", "pass")
    assert visible() == ["demo/hold"]
    page.select_option("#f-check", "")
    page.select_option("#f-verdict", "")
    page.select_option("#f-category", "conflict")
    assert visible() == ["demo/sore"]
    page.select_option("#f-category", "")
    page.select_option("#f-sort", "verdict")
    assert visible()[0] == "demo/pop"
    page.fill("#f-text", "assessed")
    assert visible() == ["demo/pop"]
    page.fill("#f-text", "")
    page.click("#f-open")
    assert page.eval_on_selector_all("details.case", "els => els.every(e => e.open)")
    assert page.is_visible("text=Hold each stretch for 45 to 60 seconds.")
    assert outside == [] and errors == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the filter bar is sticky: at the top it sits above the cases, not over them
    page.screenshot(path=str(SHOTS / "eval-report.png"), full_page=True)
    assert (SHOTS / "eval-report.png").stat().st_size > 10_000
    page.close()


def test_a_warning_stays_with_its_own_set_when_two_sets_share_a_case_id(report):
    other = report.model_copy(update={"warnings": ["other.yaml: case 'pop': unknown key 'x' ignored"]})
    assert "unknown key" not in report_page(other).split("id='demo--pop--1'")[1]  # demo.yaml's pop has no warning
