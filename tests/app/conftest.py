"""Fixtures for the web app tests: a small fake bot with canned answers, settings in a tmp data dir.

The fake answers in the shape the real chain writes them (warning and disagreement paragraphs in the text).
"""

import pytest

import app  # first, so gradio is imported with analytics already off
from bot.errors import BadQuestion
from bot.settings import Settings
from bot.types import Answer, Citation, Conflict, ConflictPosition, Escalation

REMINDER = "_General information from the cited articles, not a diagnosis. If in doubt, see a doctor or physiotherapist._"

CITED = Answer(
    text=(
        "Strength work such as Nordic curls and bridges makes the hamstrings more resilient [1]\n\n"
        "- Start with two sets of eight and add load slowly [2]\n\n" + REMINDER
    ),
    citations=[
        Citation(
            n=1,
            source_id="dack-complete-guide",
            title="The Complete Guide to Managing Hamstring Pain and Injuries in Runners",
            section="Strength Train Your Hamstrings",
            quote="Strong hamstrings are less likely to get injured.",
        ),
        Citation(
            n=2,
            source_id="fitzgerald-tight-hamstrings",
            title="How Runners Can Relieve Tight Hamstrings",
            section=None,
            quote="Add weight gradually & keep <good> form.",  # markup-looking corpus text must stay text
        ),
    ],
)

ESCALATED = Answer(
    text=(
        "**⚠️ Please get this assessed before you run again.**\n\n"
        "You mentioned: a pop; bruising. Stop running and see a doctor or physiotherapist. [1]\n\n" + REMINDER
    ),
    citations=[
        Citation(
            n=1,
            source_id="common-hamstring-injuries",
            title="Common Hamstring Injuries in Runners",
            section="Hamstring Strain",
            quote="A popping sensation and bruising can mean a tear.",
        )
    ],
    escalation=Escalation(
        reasons=["a pop", "bruising"], advice="Stop running and see a doctor or physiotherapist.", urgent=False
    ),
)

DISAGREEING = Answer(
    text=(
        "Gentle stretching can ease tightness [1]\n\n"
        "**The sources disagree — Static stretching.** The articles differ on stretching an injured hamstring.\n"
        "- *How Runners Can Relieve Tight Hamstrings* — against: “Do not stretch an injured hamstring.” [2]\n"
        "- *The Complete Guide to Managing Hamstring Pain and Injuries in Runners* — for: “Stretch gently.” [1]\n\n"
        + REMINDER
    ),
    citations=[
        Citation(
            n=1,
            source_id="dack-complete-guide",
            title="The Complete Guide to Managing Hamstring Pain and Injuries in Runners",
            section="Stretching Your Hamstrings",
            quote="Stretch gently.",
        ),
        Citation(
            n=2,
            source_id="fitzgerald-tight-hamstrings",
            title="How Runners Can Relieve Tight Hamstrings",
            section=None,
            quote="Do not stretch an injured hamstring.",
        ),
    ],
    conflicts=[
        Conflict(
            topic="Static stretching",
            summary="The articles differ on stretching an injured hamstring.",
            positions=[
                ConflictPosition(source_id="fitzgerald-tight-hamstrings", stance="against", quote="Do not stretch an injured hamstring."),
                ConflictPosition(source_id="dack-complete-guide", stance="for", quote="Stretch gently."),
            ],
        )
    ],
)

OUT_OF_SCOPE = Answer(text="I couldn't find anything in the five articles that answers that.", out_of_scope=True)


class FakeBot:
    """Replays canned answers chosen by keyword, and records what it was asked."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.calls: list[tuple[str, list[dict]]] = []

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        if not question.strip():
            raise BadQuestion("Please type a question about hamstring pain.")
        if len(question) > self.settings.max_message_chars:
            raise BadQuestion("That message is too long.")
        self.calls.append((question, list(history or [])))
        q = question.lower()
        if "pop" in q or "bruis" in q:
            return ESCALATED
        if "stretch" in q:
            return DISAGREEING
        if "weather" in q:
            return OUT_OF_SCOPE
        return CITED


class FakeIndexStatus:
    fresh = True
    reason = "fresh"
    corpus_hash = "0123456789abcdef"
    model = "fake-embedder"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", rate_limit_per_minute=5, max_history_messages=4)


@pytest.fixture
def fake_bot(settings) -> FakeBot:
    return FakeBot(settings)


@pytest.fixture
def web_app(settings, fake_bot):
    return app.create_app(settings, fake_bot, index_status=lambda s: FakeIndexStatus())
