"""Robustness variants: mechanical rewordings that keep the original's expectations, shown beside it in the report."""

from pathlib import Path

import pytest
import yaml

from core.types import Answer
from evals.__main__ import main
from evals.errors import EvalError
from evals.html import report_page
from evals.runner import evaluate
from evals.schema import Case, Expect, QuestionSet, load_set
from evals.vary import PHRASES, Phrases, casing, informal, split, typo, vary_set

SET = """\
    name: demo
    cases:
      - id: hold
        category: factual
        tags: [tune]
        turns: ["How long should I hold a hamstring stretch?"]
        expect: {contains: ["45|60"], escalate: false}
        note: 'alpha: "Hold each stretch for 45 to 60 seconds."'
        rubric: gives 45 to 60 seconds
      - id: follow
        turns: ["I run a lot.", "Should I stretch my hamstrings after a run?"]
        expect: {escalate: false}
      - id: tiny
        turns: ["Stretch?"]
        expect: {out_of_scope: false}
"""


def test_each_kind_changes_the_question_and_nothing_else():
    question = "Should I stretch my hamstring because I am sore?"
    phrases = Phrases(openers=["hey, "], closers=[" thanks!"], replacements=[("hamstring", "hammy"), ("I am", "im")])
    assert typo(question, 0) != question and sorted(typo(question, 0)) == sorted(question)  # the same letters, two swapped
    assert typo("Hi?", 0) == "Hi?"  # no word long enough to slip on
    assert casing(question) == "should i stretch my hamstring because i am sore?"
    assert informal(question, phrases, 0) == "hey, should I stretch my hammy because im sore?"
    assert informal(question, phrases, 1) == "Should I stretch my hammy because im sore? thanks!"
    assert split(question) == ["Should I stretch my", "hamstring because I am sore?"]
    assert split("Stretch now?") is None


def test_the_reviewed_phrase_list_loads_and_bad_ones_are_refused(tmp_path):
    phrases = Phrases.load(PHRASES)
    assert phrases.openers and phrases.closers and ("hamstring", "hammy") in phrases.replacements
    bad = tmp_path / "bad.yaml"
    bad.write_text("openers: []\nclosers: [ok]\nreplacements: [{formal: x}]\n")
    with pytest.raises(EvalError) as err:
        Phrases.load(bad)
    assert str(err.value).splitlines() == [f"{bad}: openers: a non-empty list of phrases",
                                           f"{bad}: replacements: a list of {{formal: ..., informal: ...}} pairs"]
    with pytest.raises(EvalError, match="phrase list not found"):
        Phrases.load(tmp_path / "none.yaml")


def test_vary_writes_a_loadable_set_where_variants_keep_expectations(write_set, tmp_path, capsys, monkeypatch):
    source = write_set("demo.yaml", SET)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")  # by default the variants go to the working directory, not beside the source
    assert main(["vary", str(source)]) == 0
    out = Path("demo-variants.yaml")
    assert (tmp_path / "work" / "demo-variants.yaml").exists() and not (tmp_path / "demo-variants.yaml").exists()
    assert f"wrote 11 variants of 3 cases to {out}" in capsys.readouterr().out
    varied, warnings = load_set(out)
    assert varied.name == "demo-variants" and warnings == []
    ids = [c.id for c in varied.cases]
    assert ids[:5] == ["hold", "hold--typo", "hold--casing", "hold--informal", "hold--split"]
    assert "tiny--split" not in ids and "tiny--casing" in ids  # one word cannot be split in two
    original, *variants = varied.cases[:5]
    for v in variants:
        assert v.variant_of == "hold" and v.expect == original.expect and v.note == original.note and v.rubric == original.rubric
        assert v.category == "factual" and v.tags[:1] == ["tune"] and "variant" in v.tags
    assert variants[3].turns == ["How long should I", "hold a hamstring stretch?"]
    follow = [c for c in varied.cases if c.id.startswith("follow--")]
    assert all(c.turns[0] == "I run a lot." for c in follow)  # only the judged turn changes
    assert next(c for c in follow if c.id == "follow--split").turns == ["I run a lot.", "Should I stretch my", "hamstrings after a run?"]
    # Deterministic: varying again writes the same file.
    first = out.read_text()
    assert main(["vary", str(source), "-o", str(out)]) == 0 and out.read_text() == first


def test_vary_options_are_checked(write_set, capsys):
    source = write_set("demo.yaml", SET)
    assert main(["vary", str(source), "--kinds", "typo,shout"]) == 2
    assert "--kinds typo,shout: choose from typo, casing, informal, split" in capsys.readouterr().err
    assert main(["vary", str(source), "--kinds", "casing", "-o", str(source.with_name("c.yaml"))]) == 0
    assert [c["id"] for c in yaml.safe_load(source.with_name("c.yaml").read_text())["cases"]] == [
        "hold", "hold--casing", "follow", "follow--casing", "tiny", "tiny--casing"]


def test_report_shows_each_original_beside_its_variants(fakes, corpus):
    phrases = Phrases(["hey, "], [" thanks!"], [])
    original = Case(id="hold", turns=["How long should I hold a stretch?"], expect=Expect(contains=["45"]))
    qset = vary_set(QuestionSet(name="demo", cases=[original]), phrases, ("casing", "split"))
    right = fakes.cited("Hold it 45 to 60 seconds [1].", ("alpha", fakes.STRETCH_QUOTE))
    bot = fakes.ScriptedBot({"How long should I hold a stretch?": right, "how long should i hold a stretch?": right},
                            default=Answer(text="Hmm."))
    report = evaluate(bot, [qset], corpus, target="in-process", progress=False)
    assert [(r.case_id, r.variant_of, r.passed) for r in report.cases] == [
        ("hold", None, True), ("hold--casing", "hold", True), ("hold--split", "hold", False)]
    page = report_page(report)
    table = page.split("<table id='variants'>")[1].split("</table>")[0]
    assert "demo-variants/hold</a> <b class='fail'>fragile</b>" in table
    assert ">casing ✔</a>" in table and ">split ✘</a>" in table
    assert "1 of 1 cases pass as written but fail in at least one variant." in page
