"""Question-set loading: valid sets load, every malformed set is refused naming file, case and field."""

from pathlib import Path

import pytest

from evals.errors import EvalSetError
from evals.schema import check_sources, load_set

VALID = """\
    name: demo
    cases:
      - id: stretch-after-run
        category: conflict
        turns: ["What causes tight hamstrings?", "So should I stretch them?"]
        expect:
          sources_any: [alpha, beta]
          contains: ["45|60", "static"]
          not_contains: ["foam roll"]
          escalate: false
          conflict: true
          out_of_scope: false
        note: 'alpha: "Hold each stretch for 45 to 60 seconds."'
      - id: graded
        turns: ["Anything?"]
        rubric: says it is not a diagnosis
"""


def test_valid_set_loads_with_every_field(write_set):
    qset, warnings = load_set(write_set("demo.yaml", VALID))
    assert warnings == []
    assert qset.name == "demo" and [c.id for c in qset.cases] == ["stretch-after-run", "graded"]
    case = qset.cases[0]
    assert case.turns[-1] == "So should I stretch them?"
    assert case.expect.contains == ["45|60", "static"] and case.expect.conflict is True and case.expect.escalate is False
    assert case.category == "conflict" and case.note.startswith("alpha")
    graded = qset.cases[1]
    assert graded.expect.checked() == [] and graded.rubric == "says it is not a diagnosis"  # a rubric alone is a check


def test_unknown_keys_are_ignored_with_a_warning_naming_where(write_set):
    path = write_set("extra.yaml", """\
        name: demo
        owner: coach
        cases:
          - id: a
            turns: ["Q?"]
            reviewer: physio
            expect: {contains: ["x"], must_cite: yes}
    """)
    qset, warnings = load_set(path)
    assert qset.cases[0].expect.contains == ["x"]
    assert warnings == [
        f"{path}: unknown key 'owner' ignored",
        f"{path}: case 'a': unknown key 'reviewer' ignored",
        f"{path}: case 'a': unknown key 'expect.must_cite' ignored",
    ]


@pytest.mark.parametrize(
    ("case_yaml", "expected"),
    [
        ('{id: no-turns, expect: {escalate: true}}', "case 'no-turns' (cases[1]): turns: required field is missing"),
        ('{id: empty-turns, turns: []}', "case 'empty-turns' (cases[1]): turns: List should have at least 1 item"),
        ('{id: blank-turn, turns: ["  "]}', "case 'blank-turn' (cases[1]): turns: Value error, a turn is empty"),
        ('{id: str-turns, turns: "one question"}', "case 'str-turns' (cases[1]): turns: Input should be a valid list"),
        ('{id: yes-bool, turns: ["q"], expect: {escalate: "yes"}}', "case 'yes-bool' (cases[1]): expect.escalate: Input should be a valid boolean"),
        ('{id: int-item, turns: ["q"], expect: {contains: [45]}}', "case 'int-item' (cases[1]): expect.contains.0: Input should be a valid string"),
        ('{id: bad-alt, turns: ["q"], expect: {contains: ["45|"]}}', "case 'bad-alt' (cases[1]): expect.contains: Value error, '45|' has an empty alternative"),
        ('{id: no-sources, turns: ["q"], expect: {sources_any: []}}', "case 'no-sources' (cases[1]): expect.sources_any: Value error, empty list"),
        ('{turns: ["q"]}', "cases[1]: id: required field is missing"),
    ],
)
def test_malformed_case_is_refused_naming_file_case_and_field(write_set, case_yaml, expected):
    path = write_set("bad.yaml", f'name: demo\ncases:\n  - {{id: fine, turns: ["ok?"]}}\n  - {case_yaml}\n')
    with pytest.raises(EvalSetError) as exc:
        load_set(path)
    lines = str(exc.value).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: {expected}")


def test_duplicate_ids_are_refused_with_both_positions(write_set):
    path = write_set("dup.yaml", 'name: demo\ncases:\n  - {id: a, turns: ["q"]}\n  - {id: b, turns: ["q"]}\n  - {id: a, turns: ["q"]}\n')
    with pytest.raises(EvalSetError, match=r"case 'a' \(cases\[2\]\): id: duplicate id, first used at cases\[0\]"):
        load_set(path)


def test_every_problem_is_listed_one_per_line(write_set):
    path = write_set("many.yaml", """\
        name: demo
        cases:
          - {id: a, turns: ["q"], expect: {escalate: maybe}}
          - {id: b}
          - {id: a, turns: ["q"]}
    """)
    with pytest.raises(EvalSetError) as exc:
        load_set(path)
    lines = str(exc.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{path}: case ") for line in lines)
    assert {"expect.escalate", "turns", "id"} == {line.split(": ")[2] for line in lines}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- just\n- a list\n", "a question set is a mapping with 'name' and 'cases'; found list"),
        ("name: demo\ncases: [\n", "not valid YAML at line"),
        ("cases: []\n", "name: required field is missing"),
        ("name: demo\ncases: []\n", "cases: List should have at least 1 item"),
        ("", "a question set is a mapping"),
    ],
)
def test_malformed_files_are_refused_naming_the_file(write_set, text, expected):
    path = write_set("broken.yaml", text)
    with pytest.raises(EvalSetError) as exc:
        load_set(path)
    assert str(exc.value).startswith(f"{path}: ")
    assert expected in str(exc.value)


def test_missing_file_is_named(tmp_path: Path):
    with pytest.raises(EvalSetError, match="nowhere.yaml: file not found"):
        load_set(tmp_path / "nowhere.yaml")


def test_unknown_source_ids_are_refused(write_set):
    qset, _ = load_set(write_set("src.yaml", 'name: demo\ncases:\n  - {id: a, turns: ["q"], expect: {sources_any: [alpha, alhpa]}}\n'))
    # One real id beside the typo does not hide it: the typo alone would make that alternative unmatchable.
    with pytest.raises(EvalSetError, match=r"case 'a': expect.sources_any: unknown article id 'alhpa'; known: alpha, beta"):
        check_sources(qset, {"alpha", "beta"})


def test_a_case_with_no_recognisable_check_is_an_error_not_a_pass(write_set):
    path = write_set("typos.yaml", """\
        name: demo
        cases:
          - id: misspelt
            turns: ["Q?"]
            expect: {contians: ["x"], escalte: true}
          - id: empty
            turns: ["Q?"]
          - id: fine
            turns: ["Q?"]
            expect: {regex: ["\\\\d+ seconds"]}
    """)
    with pytest.raises(EvalSetError) as err:
        load_set(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}: case 'misspelt': expect: no recognisable check (unknown: contians, escalte); use one of ")
    assert "cites_quote" in lines[0] and lines[0].endswith(", or a rubric")
    assert lines[1].startswith(f"{path}: case 'empty': expect: no recognisable check; use one of")


def test_strict_turns_unknown_keys_into_errors(write_set):
    path = write_set("extra.yaml", 'name: demo\ncases:\n  - {id: a, turns: ["Q?"], reviewer: kim, expect: {contains: [x], must: 1}}\n')
    _, warnings = load_set(path)
    assert len(warnings) == 2
    with pytest.raises(EvalSetError) as err:
        load_set(path, strict=True)
    assert str(err.value).splitlines() == [
        f"{path}: case 'a': unknown key 'reviewer' (--strict: fix or remove it)",
        f"{path}: case 'a': unknown key 'expect.must' (--strict: fix or remove it)",
    ]


def test_regex_and_cites_quote_are_validated(write_set, corpus):
    bad = write_set("bad.yaml", 'name: demo\ncases:\n  - {id: a, turns: ["Q?"], expect: {regex: ["(unclosed"], cites_quote: [" "]}}\n')
    with pytest.raises(EvalSetError) as err:
        load_set(bad)
    text = str(err.value)
    assert "case 'a' (cases[0]): expect.regex: Value error, '(unclosed' is not a valid regular expression" in text
    assert "expect.cites_quote: Value error, every quote needs text" in text
    # A quote no article contains would make the case unpassable: refused before anything runs.
    path = write_set("quotes.yaml", """\
        name: demo
        cases:
          - {id: a, turns: ["Q?"], expect: {cites_quote: ["hold EACH stretch for 45 to 60 seconds"]}}
          - {id: b, turns: ["Q?"], expect: {cites_quote: ["Hold each stretch for 90 seconds."]}}
    """)
    qset, _ = load_set(path)
    with pytest.raises(EvalSetError) as err:
        check_sources(qset, corpus.ids, corpus.has_text)
    assert str(err.value) == (f"{path}: case 'b': expect.cites_quote: 'Hold each stretch for 90 seconds.' is not text of any article; "
                              "copy it from the article")
