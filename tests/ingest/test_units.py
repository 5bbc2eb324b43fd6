"""Answer units: how articles are cut into units a runner can act on, and labelled by corpus/units.yaml."""

import pytest

from core.corpus import load_articles
from core.errors import CorpusError
from core.settings import PROJECT_ROOT
from core.text import LEANS_BACK
from core.types import Article
from ingest.units import KINDS, SITUATIONS, article_units, load_unit_rules

BODY = """# Guide

Intro that sets the scene for the whole guide, at some length.

## Stretching

Hold each static stretch for 45 to 60 seconds after a run. Never bounce.

It should never hurt while you hold it, and it should feel easy.

Ideal strength exercises include:

- Single-leg deadlift
- Glute bridges

## Steps

Here is how to do it, step by step for everyone.

Find the knot by pressing gently on the sore area.

Rub the knot slowly so blood can flow to the area.

There are two phases to coming back from an injury.

First, rest until walking is pain-free. Finally, build up running slowly.

1. Decrease the hills. If your hamstring is painful, it can help to cut the steepness or the number of hills for a while, and the mileage on hilly runs.
2. Monitor your pace. Start at shorter distances with a new pace and increase mileage slowly, by no more than ten percent a week.
"""
RULES = """version: 1
articles:
  guide:
    sections:
      (before any heading): {kind: signpost, situations: [any]}
      Stretching: {kind: advice, situations: [healthy]}
      Steps: {kind: advice, situations: [injured, sore]}
    join:
      - {from: "Here is how to do it", through: "Rub the knot slowly"}
    units:
      - {starts: "Ideal strength exercises", situations: [healthy, returning]}
"""


@pytest.fixture
def units(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(RULES, encoding="utf-8")
    return article_units(Article(id="guide", title="Guide", body=BODY, seed="g"), load_unit_rules(path), path)


def texts(units, form=None):
    return [u.text for u in units if form is None or u.form == form]


def test_every_unit_is_verbatim_article_text(units):
    assert units and all(BODY[u.start : u.end] == u.text for u in units)


def test_a_paragraph_that_leans_on_the_one_before_is_joined_to_it(units):
    assert "Hold each static stretch for 45 to 60 seconds after a run. Never bounce.\n\nIt should never hurt while you hold it, and it should feel easy." in texts(units)
    assert not any(t.startswith("It should never hurt") for t in texts(units))


def test_a_paragraph_whose_subject_points_back_after_a_short_opening_leans_too(tmp_path):
    body = BODY.replace("It should never hurt", "Early on, it should never hurt")
    path = tmp_path / "units.yaml"
    path.write_text(RULES, encoding="utf-8")
    found = [u.text for u in article_units(Article(id="guide", title="Guide", body=body, seed="g"), load_unit_rules(path), path)]
    assert "Hold each static stretch for 45 to 60 seconds after a run. Never bounce.\n\nEarly on, it should never hurt while you hold it, and it should feel easy." in found


def test_a_short_list_is_one_unit_with_its_lead_in(units):
    assert "Ideal strength exercises include:\n\n- Single-leg deadlift\n- Glute bridges" in texts(units, "list")


def test_a_list_of_long_tips_gives_each_tip_and_the_whole_list(units):
    tips = texts(units, "tip")
    assert [t.split(".")[0] for t in tips] == ["Decrease the hills", "Monitor your pace"]
    # no paragraph leads into this list (a step sequence comes before it), so the whole list stands alone
    assert any(t.startswith("1. Decrease the hills") and t.endswith("ten percent a week.") for t in texts(units, "list"))


def test_an_announced_sequence_and_a_reviewed_join_are_one_steps_unit(units):
    steps = texts(units, "steps")
    assert "There are two phases to coming back from an injury.\n\nFirst, rest until walking is pain-free. Finally, build up running slowly." in steps
    assert any(t.startswith("Here is how to do it") and t.endswith("flow to the area.") for t in steps)


def test_labels_come_from_the_section_and_the_overrides(units):
    by_start = {u.text.split("\n")[0][:20]: u for u in units}
    assert by_start["Ideal strength exerc"].situations == ("healthy", "returning")
    assert by_start["Hold each static stre"[:20]].kind == "advice"
    assert by_start["Intro that sets the s"[:20]].kind == "signpost"


def test_a_rule_that_matches_nothing_is_named(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(RULES.replace('starts: "Ideal strength exercises"', 'starts: "Ideal strenght exercises"'), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"units\[0\] starts 'Ideal strenght exercises': no unit starts so"):
        article_units(Article(id="guide", title="Guide", body=BODY, seed="g"), load_unit_rules(path), path)


def test_every_unit_of_the_real_corpus_has_a_known_kind_and_situation():
    path = PROJECT_ROOT / "corpus" / "units.yaml"
    rules = load_unit_rules(path)
    units = [u for a in load_articles(PROJECT_ROOT / "corpus" / "articles") for u in article_units(a, rules, path)]
    assert len(units) > 100
    assert all(u.kind in KINDS and u.situations and set(u.situations) <= set(SITUATIONS) for u in units)
    # the author's own story and the clinic's marketing are labelled, so they are never said as advice
    assert any(u.kind == "story" and u.text.startswith("I had tried all sorts") for u in units)
    assert any(u.kind == "promotion" and u.text.startswith("Dealing with sore hamstring muscles") for u in units)
    # no unit that can be said starts with a sentence that leans on text it doesn’t hold
    said = [u for u in units if u.kind not in ("story", "promotion", "signpost")]
    assert not [u.text[:40] for u in said if u.text.startswith(("It ", "This ", "However", "But "))]


@pytest.mark.parametrize(
    "sentence, leans",
    [
        ("If your hamstrings are too weak to compensate, this pelvic tilt causes them to stretch.", True),
        ("Tight hip flexors can also add to this effect.", True),
        ("If your hamstring is painful, it can be helpful to decrease the hills.", False),  # "it" is no earlier thing
        ("If the pain settles, this may mean it is healing.", False),  # "this" is the pain settling
        ("If this is not possible based on where you live it can also be useful to decrease mileage.", True),
        ("Strength work can also help runners.", False),
    ],
)
def test_a_sentence_naming_an_earlier_thing_leans_on_the_one_before(sentence, leans):
    assert bool(LEANS_BACK.match(sentence)) is leans
