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
      - id: bare
        turns: ["Anything?"]
"""


def test_valid_set_loads_with_every_field(write_set):
    qset, warnings = load_set(write_set("demo.yaml", VALID))
    assert warnings == []
    assert qset.name == "demo" and [c.id for c in qset.cases] == ["stretch-after-run", "bare"]
    case = qset.cases[0]
    assert case.turns[-1] == "So should I stretch them?"
    assert case.expect.contains == ["45|60", "static"] and case.expect.conflict is True and case.expect.escalate is False
    assert case.category == "conflict" and case.note.startswith("alpha")
    bare = qset.cases[1].expect
    assert (bare.sources_any, bare.contains, bare.escalate, bare.conflict, bare.out_of_scope) == (None, None, None, None, None)


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
