"""The semantic red-flag signal, with a small real fake for the model: an embedder that knows a few concepts.

The rules are the real red_flags.yaml; the fake puts "walloped" next to "kicked", which no reviewed phrase
knows, so whatever escalates "a mule walloped the back of my thigh" is the semantic signal.
"""

import numpy as np
import pytest

from bot.guardrails.redflags import SEMANTIC_MARGIN, SEMANTIC_THRESHOLD, CachedEmbed, RedFlagRules

PARAPHRASE = "it felt like a mule walloped the back of my thigh"


class ConceptEmbedder:
    """Vectors over a few concepts, each named by the words that mean it; other words count for nothing.
    Records every batch it is asked for, so tests can see what was embedded."""

    CONCEPTS = {
        "blow": {"kicked", "walloped", "booted", "shot", "struck"},
        "thigh": {"hamstring", "hamstrings", "thigh", "leg", "hammy"},
        "tight": {"tight", "tightness", "stiff", "ache", "aches", "sore"},
    }

    def __init__(self):
        self.batches: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        rows = []
        for text in texts:
            words = text.lower().split()
            row = np.array([sum(w in names for w in words) for names in self.CONCEPTS.values()], dtype=np.float32)
            norm = np.linalg.norm(row)
            rows.append(row / norm if norm else row)
        return np.stack(rows)


class CountingEmbeddings:
    """A LangChain-style embedder (embed_documents) that counts the texts it embeds."""

    def __init__(self):
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return [[float(len(text)), 1.0] for text in texts]


@pytest.fixture(scope="module")
def rules() -> RedFlagRules:
    return RedFlagRules.load()


def test_the_fake_puts_the_paraphrase_next_to_a_description_and_far_from_ordinary_talk(rules):
    # The premise of the tests below: otherwise they would test the fake, not the signal.
    [(part, flag_id, cosine, margin, status)] = rules.semantic_scores([PARAPHRASE], ConceptEmbedder())
    assert (flag_id, status) == ("sudden-severe-pain", "personal")
    assert cosine >= SEMANTIC_THRESHOLD and margin >= SEMANTIC_MARGIN


def test_without_an_embedder_only_the_phrases_run(rules):
    assert not rules.check([PARAPHRASE]).escalate


def test_the_semantic_signal_escalates_what_the_phrases_miss(rules):
    verdict = rules.check([PARAPHRASE], ConceptEmbedder())
    [hit] = verdict.personal
    assert (hit.flag_id, hit.signal) == ("sudden-severe-pain", "semantic")
    assert rules.escalation(verdict).signals == ["semantic"]


def test_a_friends_account_is_read_like_the_runners_own(rules):
    verdict = rules.check(["my friend said it felt like a mule walloped the back of her thigh"], ConceptEmbedder())
    assert [hit.signal for hit in verdict.personal] == ["semantic"]


def test_both_signals_are_reported_when_both_fire(rules):
    verdict = rules.check(["I felt a pop in my hamstring", PARAPHRASE], ConceptEmbedder())
    assert {(hit.flag_id, hit.signal) for hit in verdict.personal} == {
        ("pop-or-tear", "rules"),
        ("sudden-severe-pain", "semantic"),
    }
    assert rules.escalation(verdict).signals == ["rules", "semantic"]
    assert verdict.urgent  # a pop with sudden severe pain: the signs of a grade III tear, whichever signal


def test_a_flag_the_phrases_found_is_not_found_again(rules):
    verdict = rules.check(["it felt like I had been kicked in the hamstring"], ConceptEmbedder())
    assert [(hit.flag_id, hit.signal) for hit in verdict.personal] == [("sudden-severe-pain", "rules")]


@pytest.mark.parametrize(
    "message",
    [
        "it didn't feel like a mule walloped the back of my thigh",  # negated
        "two years ago it felt like a mule walloped the back of my thigh, fully healed now",  # history
        "my hamstrings feel tight and stiff after long runs",  # ordinary talk, though it names the thigh
    ],
)
def test_the_semantic_signal_minds_negation_time_and_ordinary_talk(rules, message):
    verdict = rules.check([message], ConceptEmbedder())
    assert verdict.personal == () and verdict.informational == ()


def test_a_hypothetical_paraphrase_is_informational(rules):
    verdict = rules.check(["what if it feels like a mule walloped the back of my thigh?"], ConceptEmbedder())
    assert not verdict.escalate
    assert [(hit.flag_id, hit.signal) for hit in verdict.informational] == [("sudden-severe-pain", "semantic")]


def test_the_descriptions_are_embedded_once_per_rules_object_and_embedder():
    rules = RedFlagRules.load()
    embed = ConceptEmbedder()
    rules.check([PARAPHRASE], embed)
    rules.check(["another message about my thigh"], embed)
    descriptions = [batch for batch in embed.batches if "my hamstring is really swollen" in batch]
    assert len(descriptions) == 1
    other = ConceptEmbedder()
    rules.check([PARAPHRASE], other)  # a different model: its own vectors
    assert any("my hamstring is really swollen" in batch for batch in other.batches)


def test_messages_without_a_part_to_weigh_embed_nothing(rules):
    embed = ConceptEmbedder()
    rules.check(["no pop, no bruising", "ok"], embed)  # denied, and too short to mean anything alone
    assert embed.batches == []


def test_cached_embed_embeds_each_text_once_and_keeps_the_order():
    inner = CountingEmbeddings()
    embed = CachedEmbed(inner, size=10)
    first = embed(["a pop", "swelling", "a pop"])
    second = embed(["swelling", "a pop"])
    assert inner.embedded == ["a pop", "swelling"]
    assert first.dtype == np.float32 and first.shape == (3, 2)
    assert np.array_equal(second, first[[1, 0]])


def test_cached_embed_forgets_the_oldest_text_beyond_its_size():
    inner = CountingEmbeddings()
    embed = CachedEmbed(inner, size=2)
    embed(["one"])
    embed(["two"])
    embed(["three"])
    embed(["one"])
    assert inner.embedded == ["one", "two", "three", "one"]
