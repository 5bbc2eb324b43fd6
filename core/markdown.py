"""How an Answer reads as Markdown: the one renderer of `Answer.text`, for the API, the CLI and the page.

It draws only from the answer's fields; the only words of our own are the fixed notices below.
"""

import re
from dataclasses import dataclass

from core.types import Answer, Conflict, Escalation, Notice, Part

REMINDER = "_General information from the cited articles, not a diagnosis. If in doubt, see a doctor or physiotherapist._"
DISAGREEMENT_OPENING = "**The sources disagree"
IF_THIS_IS_YOU = "**If this is happening to you:**"
# Notices that frame what follows, in this order, before the lead.
BEFORE_LEAD = ("earlier-red-flag", "when-to-get-assessed", "not-covered", "no-timeline", "no-amount", "own-experience")
_ITEM = re.compile(r"(?:- |\d+\. )")


@dataclass(frozen=True)
class Drawn:
    """An answer's Markdown in the blocks a front end styles apart; each block is one paragraph or more."""

    warning: list[str]  # the escalation notice, first of all
    body: list[str]  # lead, supporting items, notices, escalation evidence
    disagreements: list[str]  # one block per disagreement
    reminder: str | None

    @property
    def text(self) -> str:
        return "\n\n".join([*self.warning, *self.body, *self.disagreements, *([self.reminder] if self.reminder else [])])


def draw(answer: Answer) -> Drawn:
    """The answer's blocks, in reading order."""
    titles = {c.source_id: c.title for c in answer.citations}
    warning = escalation_blocks(answer.escalation) if answer.escalation else []
    body: list[str] = []
    if answer.escalation and answer.escalation.evidence:
        body.append("What the articles say:\n" + "\n".join(f"- “{inline(p.text)}” {markers(p.citations)}" for p in answer.escalation.evidence))
    body += [notice_text(n) for kind in BEFORE_LEAD for n in answer.notices if n.kind == kind]
    if answer.lead:
        body.append(f"{said(answer.lead)} {markers(answer.lead.citations)}")
    if answer.items:
        body.append("\n".join(f"- {said(p)} {markers(p.citations)}" for p in answer.items))
    body += [notice_text(n) for n in answer.notices if n.kind not in BEFORE_LEAD]
    disagreements = [conflict_block(c, titles) for c in answer.conflicts]
    return Drawn(warning, body, disagreements, answer.reminder)


def markdown(answer: Answer) -> str:
    return draw(answer).text


def said(part: Part) -> str:
    """A quoted part on one line, after the article's heading naming its topic when the text doesn't."""
    return f"*{part.topic}:* {inline(part.text)}" if part.topic else inline(part.text)


def markers(numbers: list[int]) -> str:
    return " ".join(f"[{n}]" for n in numbers)


def notice_text(notice: Notice) -> str:
    if notice.kind == "red-flag-info":
        return f"{IF_THIS_IS_YOU} {notice.text} {markers(notice.citations)}".rstrip()
    if notice.kind == "earlier-red-flag":
        return f"**{notice.text}**"
    return f"{notice.text} {markers(notice.citations)}".rstrip()


def escalation_blocks(escalation: Escalation) -> list[str]:
    heading = "**⚠️ Please get this assessed urgently.**" if escalation.urgent else "**⚠️ Please get this assessed before you run again.**"
    return [heading, f"You mentioned: {'; '.join(escalation.reasons)}. {escalation.advice}"]


def conflict_block(conflict: Conflict, titles: dict[str, str]) -> str:
    lines = [f"{DISAGREEMENT_OPENING} — {conflict.topic}.** {conflict.summary}"]
    if conflict.fits:
        lines[0] += f" **{conflict.fits}**"
    for p in conflict.positions:
        cited = f" [{p.n}]" if p.n is not None else ""
        lines.append(f"- *{titles.get(p.source_id, p.source_id)}* — {p.stance}: “{inline(p.quote)}”{cited}")
    return "\n".join(lines)


def inline(text: str) -> str:
    r"""A quote on one Markdown line: paragraphs run on, list items are separated by semicolons (by a space
    after an item that ends its own sentence).

    >>> inline("Ideal moves include:\n\n- Deadlift\n- Bridges"), inline("First, rest.\n\nNext, walk.")
    ('Ideal moves include: Deadlift; Bridges', 'First, rest. Next, walk.')
    >>> inline("Try these when you run.\n\n1. Cut the hills.\n2. Watch your pace.")
    'Try these when you run. Cut the hills. Watch your pace.'
    """
    out = ""
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        item = _ITEM.match(line)
        text_ = line[item.end():] if item else line
        joiner = "" if not out else ("; " if item and not out.endswith((":", ".", "!", "?", "!”", ".”", "?”")) else " ")
        out += joiner + text_
    return out

