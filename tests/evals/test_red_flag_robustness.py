"""Generated red-flag robustness corpus (evals/robustness/red_flags.yaml) against the reviewed rules.

Every positive must escalate and no control may. The fast tests run the phrases alone (positives marked
`semantic_only` are left to the integration tests); the integration tests add the semantic signal with the
real all-MiniLM-L6-v2, and hold it to the core question set too. A failure lists counts per template and
examples to fix.
"""

from collections import Counter

import pytest
import yaml

from bot.guardrails.redflags import CachedEmbed, RedFlagRules
from core.settings import PROJECT_ROOT, Settings
from evals.robustness.red_flags import CONTROL_KINDS, generate

EXAMPLES = 40
CORE_SET = PROJECT_ROOT / "evals" / "sets" / "core.yaml"


@pytest.fixture(scope="module")
def rules() -> RedFlagRules:
    return RedFlagRules.load()


@pytest.fixture(scope="module")
def phrases():
    return generate()


@pytest.fixture(scope="module")
def embed(rules, phrases):
    """The real model behind a cache, warmed with every text the tests will ask of it in one batch (one
    call per conversation would take ten minutes)."""
    from core.embeddings import load_embeddings

    embed = CachedEmbed(load_embeddings(Settings()), size=100_000)
    conversations = [[p.text] for p in phrases] + [turns for _, turns, _ in _core_cases()]
    embed(list(dict.fromkeys(text for turns in conversations for text in rules.semantic_texts(turns))))
    return embed


def _core_cases() -> list[tuple[str, list[str], bool]]:
    """(case id, turns, escalate) of every core-set case that says whether it escalates; for one that must
    not, each of its turns on its own as well. Cases of the conversation policy (a red flag in an earlier
    turn, answered later by the chain) test the chain, not the detector, and are left out."""
    cases = []
    for case in yaml.safe_load(CORE_SET.read_text(encoding="utf-8"))["cases"]:
        if case.get("category") == "conversation":
            continue
        escalate = (case.get("expect") or {}).get("escalate")
        if escalate is not None:
            cases.append((case["id"], case["turns"], escalate))
            if not escalate and len(case["turns"]) > 1:
                cases += [(case["id"], [turn], False) for turn in case["turns"]]
    return cases


def _report(title: str, failures: list, total: int) -> str:
    # Examples strided over the failures, so one big template does not crowd out the rest.
    shown = failures[:: max(1, len(failures) // EXAMPLES)][:EXAMPLES]
    lines = [f"{title}: {len(failures)} of {total}", "by template:"]
    lines += [f"  {n:5}  {template_id}" for template_id, n in Counter(p.template_id for p in failures).most_common()]
    lines += [f"examples ({len(shown)}):"] + [f"  [{p.template_id}] {p.text}" for p in shown]
    return "\n".join(lines)


def _positives_escalate(rules, positives, embed=None):
    missed = [p for p in positives if not rules.check([p.text], embed).escalate]
    if missed:
        pytest.fail(_report("positives not escalated", missed, len(positives)), pytrace=False)


def _no_control_escalates(rules, phrases, embed=None):
    reports = []
    for kind in CONTROL_KINDS:
        controls = [p for p in phrases if p.kind == kind]
        wrong = [p for p in controls if rules.check([p.text], embed).escalate]
        if wrong:
            reports.append(_report(f"{kind} controls escalated", wrong, len(controls)))
    if reports:
        pytest.fail("\n\n".join(reports), pytrace=False)


# ---- the phrases alone: fast ------------------------------------------------------------------------


def test_every_positive_escalates_on_the_phrases_alone(rules, phrases):
    _positives_escalate(rules, [p for p in phrases if p.kind == "positive" and not p.semantic_only])


def test_no_control_escalates_on_the_phrases_alone(rules, phrases):
    _no_control_escalates(rules, phrases)


def test_the_phrases_alone_miss_the_paraphrases(rules, phrases):
    # Otherwise the integration test below would not show the semantic signal doing anything.
    paraphrases = [p for p in phrases if p.semantic_only]
    assert paraphrases
    caught = [p.text for p in paraphrases if rules.check([p.text]).escalate]
    assert caught == []


def test_generator_is_deterministic_and_large_enough(phrases):
    assert generate() == phrases
    counts = Counter(p.kind for p in phrases)
    assert counts["positive"] >= 1500
    assert sum(counts[kind] for kind in CONTROL_KINDS) >= 900
    assert all(counts[kind] >= 100 for kind in CONTROL_KINDS), counts
    assert sum(p.semantic_only for p in phrases) >= 50
    assert all(p.escalate == (p.kind == "positive") for p in phrases)
    assert all(p.kind == "positive" for p in phrases if p.semantic_only)
    assert len({p.text.lower() for p in phrases}) == len(phrases)


# ---- with the semantic signal: the real model -------------------------------------------------------


@pytest.mark.integration
def test_every_positive_escalates_with_the_real_model(rules, phrases, embed):
    _positives_escalate(rules, [p for p in phrases if p.kind == "positive"], embed)


@pytest.mark.integration
def test_no_control_escalates_with_the_real_model(rules, phrases, embed):
    _no_control_escalates(rules, phrases, embed)


@pytest.mark.integration
def test_the_paraphrases_escalate_by_the_semantic_signal(rules, phrases, embed):
    for p in (p for p in phrases if p.semantic_only):
        verdict = rules.check([p.text], embed)
        assert rules.escalation(verdict).signals == ["semantic"], p.text


@pytest.mark.integration
def test_the_core_question_set_escalates_exactly_where_it_says(rules, embed):
    """Every case of evals/sets/core.yaml that says `escalate: true` escalates; of the others, neither the
    conversation nor any of its turns on its own does."""
    wrong = []
    for case_id, turns, escalate in _core_cases():
        verdict = rules.check(turns, embed)
        if verdict.escalate != escalate:
            wrong.append(f"{case_id}: {turns} escalated={verdict.escalate} ({[h.matched for h in verdict.personal]})")
    assert wrong == []
