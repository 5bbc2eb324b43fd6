"""How an answer reads: numbered citations, the warning and disagreement blocks, the closing reminder.

Everything quoted here is verbatim article text; the only words of our own are fixed notices.
"""

import re
from dataclasses import dataclass, field

from bot.types import Article, Citation, Conflict, Escalation
from ingest.corpus import sections

REMINDER = "_General information from the cited articles, not a diagnosis. If in doubt, see a doctor or physiotherapist._"
# The opening of every disagreement block; the web page finds the blocks by it to style them.
DISAGREEMENT_OPENING = "**The sources disagree"
NOTHING_FOUND = (
    "I couldn't find anything in the five articles that answers that. I can help with hamstring pain in "
    "runners: what causes it, strains and tendinopathy, stretching, strength work, massage and foam rolling, "
    "returning to running, and when to get assessed."
)


@dataclass
class CitationBook:
    """Hands out [n] numbers; quoting the same span twice reuses its number."""

    articles: dict[str, Article]
    citations: list[Citation] = field(default_factory=list)

    def cite(self, source_id: str, quote: str) -> int:
        for c in self.citations:
            if c.source_id == source_id and c.quote == quote:
                return c.n
        article = self.articles[source_id]
        n = len(self.citations) + 1
        self.citations.append(
            Citation(n=n, source_id=source_id, title=article.title, section=section_of(article, quote), quote=quote)
        )
        return n


def section_of(article: Article, quote: str) -> str | None:
    at = article.body.find(quote)
    for s in sections(article.body):
        if s.start <= at < s.end:
            return s.heading
    return None


def inline(text: str) -> str:
    r"""A quote on one Markdown line: paragraphs run on, list items are separated by semicolons.

    >>> inline("Ideal moves include:\n\n- Deadlift\n- Bridges"), inline("First, rest.\n\nNext, walk.")
    ('Ideal moves include: Deadlift; Bridges', 'First, rest. Next, walk.')
    """
    out = ""
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        item = re.match(r"(?:- |\d+\. )", line)
        text_ = line[item.end():] if item else line
        joiner = "" if not out else ("; " if item and not out.endswith(":") else " ")
        out += joiner + text_
    return out


def escalation_block(escalation: Escalation) -> str:
    heading = "**⚠️ Please get this assessed before you run again.**"
    if escalation.urgent:
        heading = "**⚠️ Please get this assessed urgently.**"
    reasons = "; ".join(escalation.reasons)
    return f"{heading}\n\nYou mentioned: {reasons}. {escalation.advice}"


def conflict_block(conflict: Conflict, book: CitationBook) -> str:
    lines = [f"{DISAGREEMENT_OPENING} — {conflict.topic}.** {conflict.summary}"]
    for p in conflict.positions:
        n = book.cite(p.source_id, p.quote)
        lines.append(f"- *{book.articles[p.source_id].title}* — {p.stance}: “{inline(p.quote)}” [{n}]")
    return "\n".join(lines)
