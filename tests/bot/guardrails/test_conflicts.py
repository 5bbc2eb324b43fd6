"""The disagreement registry and the detector of unregistered disagreements.

Questions as runners ask them, the real corpus/conflicts.yaml and the real articles; passages are built
from real chunks of text, no retrieval needed.
"""

import shutil
from pathlib import Path

import pytest

from core.errors import CorpusError, RulesError
from bot.guardrails.conflicts import (
    ConflictRegistry,
    advice_in,
    candidate_disagreements,
    passage_disagreements,
    sentences,
)
from core.types import Article, Chunk, Passage
from core.corpus import load_articles
from core.rulefile import verify_quotes

CORPUS_DIR = Path(__file__).resolve().parents[3] / "corpus"
REGISTRY_PATH = CORPUS_DIR / "conflicts.yaml"


@pytest.fixture(scope="module")
def registry() -> ConflictRegistry:
    return ConflictRegistry.load(REGISTRY_PATH)


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return load_articles(CORPUS_DIR / "articles")


STRETCHING_QUESTIONS = [
    "should I stretch after a run?",
    "my hamstrings feel tight, will stretching help?",
    "is static stretching good for runners?",
    "how long should I hold a hamstring stretch?",
    "should I do toe touches after running?",
    "is it ok to stretch a sore hamstring?",
    "does stretching prevent hamstring injuries?",
    "what stretches help tight hamstrings?",
    "can I strech my hammy after a long run?",
    "is yoga good for my hamstrings?",
    "how do I loosen up my hamstrings?",
    "should I stretch before or after running?",
    "is stretching bad for hamstring tendinopathy?",
    "stretching after a hamstring strain - yes or no?",
    "I pulled my hamstring last week, when can I start stretching it again?",
    "Do hamstring stretches actually do anything?",
    "What's the best way to lengthen tight hamstrings?",
]

# (question, the registered topic it must surface)
OTHER_TOPIC_QUESTIONS = [
    ("my hamstring feels a bit tight after speed work", "hamstring-tightness"),
    ("are tight hamstrings a cause of injury?", "hamstring-tightness"),
    ("does flexibility matter for runners?", "hamstring-tightness"),
    ("my hammies are really stiff in the mornings", "hamstring-tightness"),
    ("can I ride a stationary bike with a hamstring strain?", "cycling-cross-training"),
    ("is cycling ok for hamstring tendinopathy?", "cycling-cross-training"),
    ("what cross-training can I do instead of running?", "cycling-cross-training"),
    ("how can I keep my fitness while my hamstring heals?", "cycling-cross-training"),
    ("is self-massage worth it for hamstrings?", "self-massage"),
    ("how do I massage my hamstring myself?", "self-massage"),
    ("can I use a massage gun on my hamstring?", "self-massage"),
    ("should I keep running with a sore hamstring?", "running-through-pain"),
    ("can I run through hamstring pain?", "running-through-pain"),
    ("should I stop running or keep going?", "running-through-pain"),
    ("is it safe to run on a pulled hamstring?", "running-through-pain"),
    ("do I just work through the pain?", "running-through-pain"),
    ("can i keep doing easy runs on it?", "running-through-pain"),
    ("should I keep doing my weekly hill reps if it's grumbling?", "running-through-pain"),
    ("do I need to take a few days off?", "running-through-pain"),
    ("what causes hamstring injuries in runners?", "injury-cause"),
    ("why do my hamstrings hurt after runs?", "injury-cause"),
    ("does overstriding cause hamstring pain?", "injury-cause"),
    ("how do hamstring strains happen?", "injury-cause"),
    ("Do most hamstring injuries come from sprinting or from overuse?", "injury-cause"),
    ("could overstriding be what's been wrecking my hamstring?", "injury-cause"),
    ("i always stop dead after the finish line, is that bad for my hammies?", "injury-cause"),
    ("my hamstring flares up on every run. what usually causes this?", "injury-cause"),
    ("new carbon shoes and my hamstrings have been sore since. could the shoes be the cause?", "injury-cause"),
    ("3rd strain in two years on the same leg. why does it keep coming back?", "injury-cause"),
    ("do I need to see a physio for a hamstring strain?", "professional-treatment"),
    ("can I treat a hamstring strain myself at home?", "professional-treatment"),
    ("is physio worth it for a hamstring injury?", "professional-treatment"),
]

AGREEING_OR_NEUTRAL = [
    "does strength training help?",
    "should I warm up before speed work?",
    "how much should I increase mileage per week?",
    "is foam rolling good before a run?",
    "how do I prevent a strain?",
    "what strength exercises are best for hamstrings?",
    "are single-leg deadlifts good for hamstrings?",
    "how do I do eccentric hamstring curls?",
    "should I cool down after intervals?",
    "how should I add hills to my training?",
    "what is the 10 percent rule?",
    "does core strength help hamstrings?",
    "how do I return to speed work after a strain?",
    "what are the three hamstring muscles?",
    "what does a grade 2 strain feel like?",
    "does sitting make tendinopathy worse?",
    "should I increase my cadence?",
    "how do I foam roll my hamstrings?",
    "in my training cycle when should I add speed work?",
    "what's the difference between a strain and tendinopathy?",
    "how do I work on a knot in my hamstring?",  # working on it is treating it, not running through it
    "how long do I keep icing my hamstring?",  # keeping at something else is not running on it
    "should I keep the leg still or move it?",
    "can I keep doing my heavy squats at the gym?",
    "any form cues to take some load off my hamstrings?",  # taking load off is not taking time off
    "is a sports massage worth it? money's tight this month",  # money that is tight is not a tight hamstring
    "time's tight before my race, how do I fit strength work in?",
    # a treatment asked about for tight hamstrings asks about the treatment, not whether tightness is the problem
    "are those massage guns any good for tight hamstrings or just a gimmick?",
    "would cupping on my tight hammy help before my marathon?",
    # a "why" about something else, the injury named far from it, is no question about what causes injuries
    "why does my physio keep giving me core stuff when its my hamstring thats sore?",
    "how do i fix my overstriding without rebuilding my whole stride?",  # fixing it, not whether it causes injuries
]


@pytest.mark.parametrize("question", STRETCHING_QUESTIONS)
def test_stretching_question_surfaces_the_stretching_disagreement(registry, question):
    assert "static-stretching" in [topic.id for topic in registry.topics_in(question)]


@pytest.mark.parametrize("question, topic_id", OTHER_TOPIC_QUESTIONS)
def test_question_surfaces_its_registered_disagreement(registry, question, topic_id):
    assert topic_id in [topic.id for topic in registry.topics_in(question)]


@pytest.mark.parametrize("question", AGREEING_OR_NEUTRAL)
def test_agreeing_or_neutral_question_surfaces_no_disagreement(registry, question):
    assert registry.topics_in(question) == []


def test_tables_are_large_enough_and_cover_every_topic(registry):
    assert len(STRETCHING_QUESTIONS) >= 15
    assert len(AGREEING_OR_NEUTRAL) >= 15
    registered = {topic.id for topic in registry.topics}
    assert registered == {"static-stretching"} | {topic_id for _, topic_id in OTHER_TOPIC_QUESTIONS}


def test_follow_up_matches_through_the_earlier_turns(registry):
    follow_up = "how long for?"
    assert registry.topics_in(follow_up) == []
    conversation = "should I stretch after a run?\n" + follow_up
    assert [topic.id for topic in registry.topics_in(conversation)] == ["static-stretching"]


def test_pronoun_follow_up_after_a_tightness_question(registry):
    topics = registry.topics_in("why are my hamstrings tight?\nso should I stretch them?")
    assert [topic.id for topic in topics] == ["static-stretching", "hamstring-tightness"]


def test_stretching_conflict_presents_each_article_named_in_the_issue(registry):
    stretching = next(topic for topic in registry.topics if topic.id == "static-stretching")
    conflict = registry.as_conflict(stretching)
    assert {position.source_id for position in conflict.positions} == {
        "dack-complete-guide", "pt-top-3-questions", "fitzgerald-tight-hamstrings",
        "common-hamstring-injuries", "garrick-treatment-options",
    }
    assert "sore" in conflict.summary and "tendon" in conflict.summary


@pytest.mark.parametrize("topic_id", [
    "static-stretching", "hamstring-tightness", "cycling-cross-training", "self-massage",
    "running-through-pain", "injury-cause", "professional-treatment",
])
def test_every_topic_yields_positions_from_different_articles(registry, articles, topic_id):
    topic = next(topic for topic in registry.topics if topic.id == topic_id)
    conflict = registry.as_conflict(topic)
    assert conflict.topic == topic.topic and conflict.summary == topic.summary
    assert len({position.source_id for position in conflict.positions}) >= 2
    bodies = {article.id: article.body for article in articles}
    assert all(position.quote in bodies[position.source_id] for position in conflict.positions)


def test_verify_passes_on_the_real_corpus(articles):
    verify_quotes([REGISTRY_PATH], articles)


def test_verify_lists_every_quote_no_longer_in_its_article(registry, tmp_path):
    articles_dir = tmp_path / "articles"
    shutil.copytree(CORPUS_DIR / "articles", articles_dir)
    page = articles_dir / "fitzgerald-tight-hamstrings.md"
    text = page.read_text(encoding="utf-8")
    text = text.replace("static stretching makes them worse", "static stretching can make them worse")
    text = text.replace("erratic training can lead", "erratic training may lead")
    page.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as raised:
        verify_quotes([REGISTRY_PATH], load_articles(articles_dir))
    message = str(raised.value)
    assert "(static-stretching).positions[2]" in message and "static stretching makes them worse" in message
    assert "(injury-cause)" in message and "erratic training can lead" in message
    assert "(cycling-cross-training)" not in message


def test_verify_names_a_registry_quote_edited_away_from_the_article(articles, tmp_path):
    path = tmp_path / "conflicts.yaml"
    path.write_text(
        REGISTRY_PATH.read_text(encoding="utf-8").replace("Here’s how to self-massage", "Here's how to self-massage"),
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"\(self-massage\)\.positions\[\d\]: quote not verbatim in dack-complete-guide"):
        verify_quotes([path], articles)


def _broken_registry(tmp_path: Path, find: str, replace: str) -> Path:
    text = REGISTRY_PATH.read_text(encoding="utf-8")
    assert find in text
    path = tmp_path / "conflicts.yaml"
    path.write_text(text.replace(find, replace, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "find, replace, named",
    [
        ("    topic: Static stretching of the hamstrings\n", "", "topics[0] (static-stretching).topic"),
        ("      - ['self ?massag\\w*']", "      - ['self ?massag(\\w*']", "topics[3] (self-massage).recognise[0]"),
        ("      - ['self ?massag\\w*']", "      - 'self ?massag\\w*'", "topics[3] (self-massage).recognise[0]"),
        ("        stance: overuse\n", "", "topics[5] (injury-cause).positions[3].stance"),
        ("version: 1", "version: 3", "version"),
        ("  - id: hamstring-tightness", "  - id: static-stretching", "topics[1] (static-stretching).id: duplicate id"),
    ],
)
def test_malformed_registry_names_the_topic_and_field(tmp_path, find, replace, named):
    path = _broken_registry(tmp_path, find, replace)
    with pytest.raises(RulesError) as raised:
        ConflictRegistry.load(path)
    assert str(path) in str(raised.value)
    assert named in str(raised.value)


def test_a_topic_needs_two_different_articles(tmp_path):
    text = REGISTRY_PATH.read_text(encoding="utf-8")
    cycling = text.index("  - id: cycling-cross-training")
    common = text.index("      - source_id: common-hamstring-injuries", cycling)
    path = tmp_path / "conflicts.yaml"
    path.write_text(text[:common] + text[text.index("  - id: self-massage"):], encoding="utf-8")
    with pytest.raises(RulesError, match=r"topics\[2\] \(cycling-cross-training\)\.positions: .*two different articles"):
        ConflictRegistry.load(path)


def test_yaml_syntax_error_is_a_rules_error(tmp_path):
    with pytest.raises(RulesError, match="not valid YAML"):
        ConflictRegistry.load(_broken_registry(tmp_path, "topics:\n", "topics: {\n"))


# ---- unregistered disagreements -------------------------------------------------------------------


def _passage(source_id: str, text: str, rank: int = 1) -> Passage:
    chunk = Chunk(
        id=f"{source_id}-{rank}", kind="chunk", source_id=source_id, title=source_id.replace("-", " ").title(),
        section=None, text=text, start=0, end=len(text), order=rank,
    )
    return Passage(chunk=chunk, fused_score=1 / rank, rank=rank)


def test_opposite_advice_from_different_sources_is_flagged(registry):
    passages = [
        _passage("icing-guide", "Ice helps a fresh hamstring strain settle. Keep it short."),
        _passage("heat-guide", "Never ice a hamstring, as it slows healing.", rank=2),
    ]
    [conflict] = passage_disagreements(passages, registry)
    assert conflict.topic == "Ice"
    assert [(p.source_id, p.stance) for p in conflict.positions] == [
        ("icing-guide", "recommends ice"), ("heat-guide", "advises against ice"),
    ]
    assert conflict.positions[1].quote == "Never ice a hamstring, as it slows healing."


def test_opposite_advice_within_one_source_is_not_a_disagreement(registry):
    passages = [
        _passage("icing-guide", "Ice helps a fresh hamstring strain settle."),
        _passage("icing-guide", "Never ice a hamstring for longer than twenty minutes.", rank=2),
    ]
    assert passage_disagreements(passages, registry) == []


def test_agreeing_passages_are_not_flagged(registry, articles):
    bodies = {article.id: article.body for article in articles}
    strength = [
        ("fitzgerald-tight-hamstrings", "Strengthen your hamstrings and glutes with single-leg deadlifts"),
        ("pt-top-3-questions", "Strengthen! If you aren’t training your glutes and hamstrings"),
        ("common-hamstring-injuries", "Cross-training, strength work and trunk stability can help the body cope"),
    ]
    passages = []
    for rank, (source_id, opening) in enumerate(strength, start=1):
        start = bodies[source_id].index(opening)
        passages.append(_passage(source_id, bodies[source_id][start:bodies[source_id].index("\n", start)], rank))
    assert passage_disagreements(passages, registry) == []


def test_registered_disagreement_is_left_to_the_registry(registry):
    passages = [
        _passage("dack-complete-guide", "Perform a series of static stretches right after an active warm-up or a run."),
        _passage(
            "fitzgerald-tight-hamstrings",
            "When your hamstrings are sore and over-stretched, static stretching makes them worse.",
            rank=2,
        ),
    ]
    assert passage_disagreements(passages, registry) == []
    assert passage_disagreements(passages, ConflictRegistry([], registry.detector, REGISTRY_PATH))[0].topic == "Stretching"


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Avoid static stretching, which can further aggravate your injury.", [("stretching", "against")]),
        ("Perform the stretches on both sides.", [("stretching", "for")]),
        ("Cycling can aggravate symptoms for some people.", [("cycling", "against")]),
        ("Once you know strengthening is key and stretching can do more harm than good, you’ll be fine.",
         [("strength training", "for"), ("stretching", "against")]),
        ("Keep in mind that you can also use a tennis ball if you don’t have a foam roller.", []),
        ("Hamstrings are one of the largest muscle groups in the body.", []),
    ],
)
def test_advice_reading_of_a_sentence(sentence, expected, registry):
    assert [(item.action, item.stance) for item in advice_in(sentence, "a", "A", registry.detector)] == expected


def test_sentences_are_verbatim_and_skip_headings():
    body = "# Title\n\n## Section\n\nFirst one. Second one!\n\n- A list item.\n1. Numbered item."
    assert sentences(body) == ("First one.", "Second one!", "A list item.", "Numbered item.")


def test_corpus_scan_finds_the_stretching_split_for_a_curator(articles, registry):
    candidates = candidate_disagreements(articles, ConflictRegistry([], registry.detector, REGISTRY_PATH))
    stretching = [c for c in candidates if c.action == "stretching"]
    assert {c.source_for for c in stretching} >= {"dack-complete-guide", "pt-top-3-questions"}
    assert "fitzgerald-tight-hamstrings" in {c.source_against for c in stretching}
    bodies = {article.id: article.body for article in articles}
    for c in candidates:
        assert c.source_for != c.source_against
        assert c.sentence_for in bodies[c.source_for] and c.sentence_against in bodies[c.source_against]


def test_corpus_scan_leaves_out_what_the_registry_presents(articles, registry):
    assert all(c.action != "stretching" for c in candidate_disagreements(articles, registry))


def test_corpus_scan_reports_a_new_disagreement(registry):
    articles = [
        Article(id="heat-first", title="Heat first", body="# Heat first\n\nApply heat to the hamstring, it helps.\n", seed="x"),
        Article(id="no-heat", title="No heat", body="# No heat\n\nAvoid heat on a fresh strain.\n", seed="y"),
    ]
    [candidate] = candidate_disagreements(articles, registry)
    assert (candidate.action, candidate.source_for, candidate.source_against) == ("heat", "heat-first", "no-heat")
    assert candidate.sentence_against == "Avoid heat on a fresh strain."
