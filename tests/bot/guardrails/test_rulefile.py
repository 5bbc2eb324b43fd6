"""The shared reader of guardrail rules files: every problem a RulesError naming the file and the field.

Small real pydantic models stand in for red_flags.yaml and conflicts.yaml; files are written to tmp_path.
"""

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, StrictBool, model_validator

from core.errors import RulesError
from core.rulefile import Text, Words, field_errors, load_rule_file, repeated_ids


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Text
    urgent: StrictBool


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text
    steps: list[Step]

    @model_validator(mode="after")
    def _unique_ids(self) -> "Recipe":
        problems = repeated_ids("steps", self.steps)
        if problems:
            raise field_errors("Recipe", problems)
        return self


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_becomes_the_model_with_text_stripped(tmp_path):
    recipe = load_rule_file(_file(tmp_path, "title: '  Rest  '\nsteps:\n  - {id: stop, urgent: true}\n"), Recipe)
    assert recipe == Recipe(title="Rest", steps=[Step(id="stop", urgent=True)])


@pytest.mark.parametrize(
    "text, problem",
    [
        (None, "cannot read the rules file"),  # no file at all
        ("title: Rest\nsteps: [\n", "not valid YAML"),
    ],
)
def test_unreadable_file_names_the_file(tmp_path, text, problem):
    path = _file(tmp_path, text) if text is not None else tmp_path / "absent.yaml"
    with pytest.raises(RulesError, match=problem) as raised:
        load_rule_file(path, Recipe)
    assert str(raised.value).startswith(f"{path}: ")


# (the file, each line of the RulesError after "<path>: ")
MALFORMED = [
    # a wrong type; an entry is named by its index and its id
    (
        "title: Rest\nsteps:\n  - {id: stop, urgent: true}\n  - {id: ice, urgent: maybe}\n",
        ["steps[1] (ice).urgent: Input should be a valid boolean, found 'maybe'."],
    ),
    ("title: Rest\nsteps:\n  - {urgent: true}\n", ["steps[0].id: Field required; add it."]),
    ("title: Rest\nsteps: []\nstep: []\n", ["step: Extra inputs are not permitted; remove it, or check its spelling."]),
    # every problem on its own line; blank text is no text
    (
        "steps:\n  - {id: '  ', urgent: 1}\n",
        [
            "title: Field required; add it.",
            "steps[0].id: String should have at least 1 character, found '  '.",
            "steps[0].urgent: Input should be a valid boolean, found 1.",
        ],
    ),
    ("- title\n- steps\n", ["(top level): expected a mapping of names to values."]),
    # a model validator's problem stands at the field it is about
    (
        "title: Rest\nsteps:\n  - {id: stop, urgent: true}\n  - {id: stop, urgent: false}\n",
        ["steps[1] (stop).id: duplicate id; give each entry its own."],
    ),
]


@pytest.mark.parametrize("text, problems", MALFORMED)
def test_each_problem_is_a_line_naming_the_file_and_field(tmp_path, text, problems):
    path = _file(tmp_path, text)
    with pytest.raises(RulesError) as raised:
        load_rule_file(path, Recipe)
    assert str(raised.value).splitlines() == [f"{path}: {problem}" for problem in problems]


def test_a_misspelt_key_in_the_real_red_flag_rules_is_an_error_not_ignored(tmp_path):
    from bot.guardrails.redflags import RULES_PATH, RedFlagRules

    text = RULES_PATH.read_text(encoding="utf-8").replace("  - id: pop-or-tear\n", "  - id: pop-or-tear\n    informational_onyl: true\n", 1)
    path = tmp_path / "red_flags.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=r"rules\[0\] \(pop-or-tear\)\.informational_onyl"):
        RedFlagRules.load(path)


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    words: Words


def test_a_word_list_leaves_out_the_reviewers_notes(tmp_path):
    path = _file(tmp_path, "words: |-\n  hi hello\n  # greetings, not topics\n  thanks\n")
    assert load_rule_file(path, Glossary).words == {"hi", "hello", "thanks"}


def test_a_note_folded_into_a_word_list_is_refused_not_read_as_words(tmp_path):
    # folded with ">-", the note runs into the words around it: "hello # greetings, not topics thanks"
    path = _file(tmp_path, "words: >-\n  hi hello\n  # greetings, not topics\n  thanks\n")
    with pytest.raises(RulesError) as caught:
        load_rule_file(path, Glossary)
    assert "words" in str(caught.value) and '"|-"' in str(caught.value)


def test_an_empty_word_list_is_refused(tmp_path):
    with pytest.raises(RulesError):
        load_rule_file(_file(tmp_path, "words: ''\n"), Glossary)
