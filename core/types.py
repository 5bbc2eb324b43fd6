"""The typed objects that cross package boundaries: corpus pieces, retrieved passages, answers.

Dataclasses stay inside the process; the pydantic models (Answer and its parts) are what the API,
the CLI's --json and the eval reports serialise.
"""

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Article:
    """One clean article of the corpus: front matter plus the Markdown body it was parsed from."""

    id: str
    title: str
    body: str
    seed: str
    author: str | None = None
    site: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A span of one article's body: a passage of sentences (kind="chunk") or a single sentence.

    `text == article.body[start:end]`, always, so a quote taken from a chunk is verbatim corpus text.
    `id` is a hash of everything above, so unchanged text keeps its id across ingests.
    """

    id: str
    kind: Literal["chunk", "sentence"]
    source_id: str
    title: str
    section: str | None
    text: str
    start: int
    end: int
    order: int  # position of this chunk (or sentence) within its article

    def metadata(self) -> dict:
        """The flat record stored beside the text in Chroma (it holds no None)."""
        return {
            "kind": self.kind,
            "source_id": self.source_id,
            "title": self.title,
            "section": self.section or "",
            "start": self.start,
            "end": self.end,
            "order": self.order,
        }

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict) -> "Chunk":
        return cls(id=chunk_id, kind=meta["kind"], text=text, **_span(meta))


@dataclass(frozen=True)
class Unit:
    """A self-contained piece of one article a runner can act on: a paragraph, a list with its lead-in, a
    numbered tip, or a whole step sequence. Made at ingest; `text == article.body[start:end]`.

    `kind` (advice, explanation, definition, story, promotion, signpost) and `situations` (healthy, sore,
    injured, tendinopathy, returning, any) come from the reviewed rules of corpus/units.yaml.
    """

    id: str
    source_id: str
    title: str
    section: str | None
    text: str
    start: int
    end: int
    order: int
    form: Literal["paragraph", "list", "tip", "steps"]
    kind: str
    situations: tuple[str, ...]

    def metadata(self) -> dict:
        """The flat record stored beside the text in Chroma."""
        return {
            "source_id": self.source_id,
            "title": self.title,
            "section": self.section or "",
            "start": self.start,
            "end": self.end,
            "order": self.order,
            "form": self.form,
            "kind": self.kind,
            "situations": ",".join(self.situations),
        }

    @classmethod
    def from_record(cls, unit_id: str, text: str, meta: dict) -> "Unit":
        situations = tuple(meta["situations"].split(","))
        return cls(id=unit_id, text=text, form=meta["form"], kind=meta["kind"], situations=situations, **_span(meta))

    @property
    def words(self) -> int:
        return len(self.text.split())


def _span(meta: dict) -> dict:
    """Where a stored piece sits in its article, from its Chroma record (which holds no None)."""
    return {
        "source_id": meta["source_id"],
        "title": meta["title"],
        "section": meta["section"] or None,
        "start": int(meta["start"]),
        "end": int(meta["end"]),
        "order": int(meta["order"]),
    }


@dataclass(frozen=True)
class Passage:
    """A chunk retrieved for a question, with the scores that ranked it."""

    chunk: Chunk
    fused_score: float
    rank: int
    dense_score: float | None = None  # cosine similarity with the query, when the dense side found it
    lexical_score: float | None = None  # BM25 score, when the lexical side found it


# ---- serialised contract -------------------------------------------------------------------------


class Part(BaseModel):
    """One piece of an answer's body: verbatim article text, with the [n] numbers of its citations."""

    text: str = Field(description="Verbatim article text (one sentence or a few read together).")
    citations: list[int] = Field(default_factory=list, description="Numbers of the citations behind it.")
    topic: str | None = Field(
        None, description="The article's heading naming what the text is about, when the text doesn't name it itself "
        "(\"Proximal Hamstring Tendinopathy\" over \"The main symptom is usually deep, localised pain…\"); shown before it."
    )


class Notice(BaseModel):
    """A line of the bot's own words in an answer: a decline, "nothing found", a red-flag note."""

    kind: Literal[
        "declined", "nothing-found", "red-flag-info", "when-to-get-assessed", "not-covered", "no-timeline", "no-amount", "small-talk",
        "earlier-red-flag", "own-experience",
    ] = Field(
        description="What the notice is for; earlier-red-flag, when-to-get-assessed, not-covered, no-timeline, no-amount and "
        "own-experience (an author's own experience stating what the articles give no advice on, quoted as theirs) come before the lead."
    )
    text: str = Field(description="Plain text (no Markdown).")
    citations: list[int] = Field(default_factory=list, description="Numbers of the article sentences that back it.")


class Citation(BaseModel):
    n: int = Field(description="The number used by the [n] marker in the answer text.")
    source_id: str = Field(description="Corpus id of the article quoted.")
    title: str
    section: str | None = Field(None, description="Section heading of the quoted sentence, when the article has one.")
    quote: str = Field(description="Verbatim text of the article.")
    start: int | None = Field(None, description="Character offset of the quote in the article's body: body[start:end] == quote.")
    end: int | None = Field(None, description="Character offset just past the quote in the article's body.")


class Escalation(BaseModel):
    reasons: list[str] = Field(description="The red-flag symptoms recognised, in plain words.")
    advice: str = Field(description="What to do instead of self-care.")
    urgent: bool = Field(False, description="True when the symptoms call for urgent care (e.g. cannot bear weight).")
    evidence: list[Part] = Field(default_factory=list, description="Reviewed article sentences saying such symptoms need assessment.")
    signals: list[str] = Field(default_factory=list, description="Which detectors fired: 'rules' (reviewed phrases) and/or 'semantic' (similarity to reviewed symptom descriptions).")


class ConflictPosition(BaseModel):
    source_id: str
    stance: str = Field(description="The side this article takes, in a few words.")
    quote: str = Field(description="Verbatim sentence of the article that takes that side.")
    n: int | None = Field(None, description="Citation number of the quote in the answer it appears in.")
    situations: list[str] = Field(default_factory=list, description="Whose situation this side speaks to (healthy, injured, …).")


class Conflict(BaseModel):
    topic: str
    summary: str = Field(description="What the articles disagree on and, where they give it, what separates the sides.")
    positions: list[ConflictPosition]
    fits: str | None = Field(None, description="Which side fits the situation the runner described, when one does.")


class Answer(BaseModel):
    """The answer as data; `text` is its Markdown rendering (core.markdown), kept for the API and CLI."""

    text: str = Field(description="Markdown answer; every [n] marker has a citation.")
    citations: list[Citation] = Field(default_factory=list)
    escalation: Escalation | None = None
    conflicts: list[Conflict] = Field(default_factory=list)
    out_of_scope: bool = False
    lead: Part | None = Field(None, description="The article text that answers the question, said first.")
    items: list[Part] = Field(default_factory=list, description="Supporting article text, after the lead.")
    notices: list[Notice] = Field(default_factory=list, description="The bot's own notes: declines, red-flag notes.")
    reminder: str | None = Field(None, description="The closing not-a-diagnosis reminder, on advice answers.")


class Message(BaseModel):
    """One message of a conversation, as the API and the bot take it."""

    role: Literal["user", "assistant"]
    content: str
