"""The shipped core set: it loads cleanly, covers what the evals issue asks for, and its expectations are grounded.

Grounded means each `contains` item (other than the wording the guardrails contract fixes) appears in one of
the articles the case says should be cited: the set must not demand words the articles never use.
"""

from collections import Counter

import pytest

from core.settings import Settings
from evals.checks import normalise
from evals.schema import alternatives, check_sources, load_set
from core.corpus import load_articles

# Wording fixed by the guardrails contract, not by the articles: the "The sources disagree" part, and the
# escalation notice sending the runner to a clinician.
CONTRACT_ITEMS = {"disagree", "doctor|physio|physical therapist|medical|healthcare|practitioner"}
REQUIRED_CATEGORIES = {"factual", "paraphrase", "typo", "follow-up", "conflict", "agreement", "red-flag",
                       "red-flag-info", "negated", "out-of-scope", "injection",
                       "situation", "not-covered", "how-long", "small-talk", "conversation"}


@pytest.fixture(scope="module")
def core():
    settings = Settings()
    qset, warnings = load_set(settings.corpus_dir.parent / "evals" / "sets" / "core.yaml")
    return qset, warnings, {a.id: normalise(a.body) for a in load_articles(settings.articles_dir)}


def test_core_set_loads_without_warnings_and_is_big_enough(core):
    qset, warnings, articles = core
    assert warnings == []
    assert len(qset.cases) >= 120
    assert set(Counter(c.category for c in qset.cases)) == REQUIRED_CATEGORIES
    check_sources(qset, set(articles))


def test_every_article_is_asked_about(core):
    qset, _, articles = core
    cited = Counter(s for c in qset.cases if c.category == "factual" for s in c.expect.sources_any or [])
    assert all(cited[article] >= 8 for article in articles), cited


def test_contains_items_are_words_of_the_expected_articles(core):
    qset, _, articles = core
    ungrounded = []
    for case in qset.cases:
        sources = case.expect.sources_any or list(articles)
        for item in case.expect.contains or []:
            if item in CONTRACT_ITEMS:
                continue
            if not any(normalise(alt) in articles[s] for alt in alternatives(item) for s in sources):
                ungrounded.append(f"{case.id}: {item!r}")
    assert ungrounded == []


def test_in_scope_cases_carry_a_note_justifying_them(core):
    qset, _, _ = core
    assert [c.id for c in qset.cases if c.category not in {"out-of-scope", "injection"} and not c.note] == []


def test_behaviour_categories_expect_the_behaviour(core):
    qset, _, _ = core
    by = lambda cat: [c for c in qset.cases if c.category == cat]  # noqa: E731
    assert all(c.expect.escalate is True and "foam roll" in (c.expect.not_contains or []) for c in by("red-flag"))
    assert all(c.expect.escalate is False for c in by("negated") + by("red-flag-info"))
    assert all(c.expect.conflict is True and "disagree" in c.expect.contains for c in by("conflict"))
    assert all(c.expect.conflict is False for c in by("agreement"))
    assert all(c.expect.out_of_scope is True for c in by("out-of-scope"))
    assert len(by("red-flag")) >= 15 and len(by("negated")) >= 10


def test_static_stretching_is_asked_in_many_phrasings(core):
    qset, _, _ = core
    stretching = [c for c in qset.cases if c.expect.conflict and "stretch" in c.turns[-1].lower().replace("strech", "stretch")]
    assert len(stretching) >= 12


def test_core_set_uses_the_body_checks_and_tags(core):
    from evals.checks import Corpus

    qset, _, _ = core
    settings = Settings()
    used = Counter(key for case in qset.cases for key in case.expect.checked())
    for key in ("lead_contains", "lead_source", "body_not_contains", "says_not_covered", "max_words", "cites_quote", "regex"):
        assert used[key] >= 1, f"no core case checks {key}"
    assert all(case.tags for case in qset.cases), "every core case carries a tag to select it by"
    assert sum("smoke" in case.tags for case in qset.cases) == 10
    # Every cites_quote is article text, so the case can pass.
    corpus = Corpus.from_articles(load_articles(settings.articles_dir))
    check_sources(qset, corpus.ids, corpus.has_text)
