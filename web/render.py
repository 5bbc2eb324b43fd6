"""How an Answer looks in the chat: HTML built from the answer's fields and only from escaped text, warning first.

`render_answer` gives the finished message and `reveal` the frames of it streaming in. Reading order: warning,
framing notices, the lead, any disagreement, the supporting text, other notices, the reminder, the sources.
The API's Markdown (`Answer.text`, core.markdown) is drawn from the same fields and is left as it is.
"""

import html
from collections.abc import Callable, Iterator

from core.markdown import BEFORE_LEAD, IF_THIS_IS_YOU, escalation_blocks, inline
from core.types import Answer, Citation, Conflict, Notice, Part

# The chat sanitises HTML as well; escaping every piece of text before it is placed means nothing a user
# types, nor any corpus text, can become markup or script even if that sanitiser lets something through.
# No blank line may appear in a message: the chat hands the HTML to a Markdown renderer, and a blank line
# would end the HTML block there.

SHORT_REMINDER = "Not a diagnosis; if in doubt, see a physio."  # one line in a phone-wide embed
Linker = Callable[[Citation], str]


def esc(text: str) -> str:
    # No raw newlines: a blank line would end the HTML block and hand the rest to Markdown.
    return html.escape(text, quote=True).replace("\n", "<br>")


def render_user(text: str) -> str:
    """What the user typed, as an HTML block of escaped text, so not even Markdown applies to it.

    >>> render_user("<img src=x onerror=alert(1)>")
    '<div class="hb-user">&lt;img src=x onerror=alert(1)&gt;</div>'
    """
    return f'<div class="hb-user">{esc(text)}</div>'


def no_link(citation: Citation) -> str:
    return ""


class _Drawing:
    """Draws one answer; `key` keeps the citation anchors of different answers in one chat apart."""

    def __init__(self, answer: Answer, key: str, link: Linker):
        self.answer, self.key, self.link = answer, key, link
        self.titles = {c.source_id: c.title for c in answer.citations}

    def anchor(self, n: int) -> str:
        return f"hb-{self.key}-c{n}"

    def markers(self, numbers: list[int]) -> str:
        """`[n]` markers as links to their citations under Sources (the browser opens a <details> it is sent to)."""
        return "".join(f' <a class="hb-marker" href="#{self.anchor(n)}">[{n}]</a>' for n in numbers)

    def said(self, part: Part) -> str:
        topic = f'<span class="hb-topic">{esc(part.topic)}:</span> ' if part.topic else ""
        return topic + esc(inline(part.text)) + self.markers(part.citations)

    def parts(self, parts: list[Part], css_class: str) -> str:
        """One supporting piece reads as a sentence; several as a list."""
        if len(parts) == 1:
            return f'<p class="{css_class}">{self.said(parts[0])}</p>'
        items = "".join(f"<li>{self.said(p)}</li>" for p in parts)
        return f'<ul class="{css_class}">{items}</ul>'

    def notice(self, notice: Notice) -> str:
        text = esc(notice.text) + self.markers(notice.citations)
        if notice.kind == "red-flag-info":
            return f'<p class="hb-note"><strong>{esc(IF_THIS_IS_YOU.strip("*"))}</strong> {text}</p>'
        if notice.kind == "earlier-red-flag":
            return f'<p class="hb-note"><strong>{text}</strong></p>'
        return f'<p class="hb-note">{text}</p>'

    def warning(self) -> str:
        heading, detail = (b.strip("*") for b in escalation_blocks(self.answer.escalation))
        return (f'<div class="hb-escalation" role="alert"><p class="hb-escalation-title"><strong>{esc(heading)}</strong></p>'
                f"<p>{esc(detail)}</p></div>")

    def conflict(self, conflict: Conflict) -> str:
        title = f"<strong>The sources disagree — {esc(conflict.topic)}.</strong> {esc(conflict.summary)}"
        if conflict.fits:
            title += f" <strong>{esc(conflict.fits)}</strong>"
        sides = "".join(
            f"<li><cite>{esc(self.titles.get(p.source_id, p.source_id))}</cite> — {esc(p.stance)}: “{esc(inline(p.quote))}”"
            + (self.markers([p.n]) if p.n is not None else "") + "</li>"
            for p in conflict.positions
        )
        return f'<div class="hb-conflict" role="note"><p class="hb-conflict-title">{title}</p><ul>{sides}</ul></div>'

    def citation(self, c: Citation) -> str:
        section = f" — {esc(c.section)}" if c.section else ""
        href = self.link(c)
        opener = (f'<p class="hb-source"><a class="hb-open-article" href="{esc(href)}" target="_blank" rel="noopener">'
                  "Read it in the article</a></p>") if href else ""
        return (f'<details class="hb-citation" id="{self.anchor(c.n)}"><summary>[{c.n}] {esc(c.title)}{section}</summary>'
                f"<blockquote>{esc(c.quote)}</blockquote>{opener}</details>")

    def blocks(self, first: bool) -> list[str]:
        a = self.answer
        blocks = [self.warning()] if a.escalation else []
        if a.escalation and a.escalation.evidence:
            blocks.append('<p class="hb-evidence-title">What the articles say:</p>' + self.parts(a.escalation.evidence, "hb-evidence"))
        blocks += [self.notice(n) for kind in BEFORE_LEAD for n in a.notices if n.kind == kind]
        if a.lead:
            blocks.append(f'<p class="hb-lead">{self.said(a.lead)}</p>')
        # Right after the lead, so on a phone the disagreement is seen before the reader scrolls on.
        blocks += [self.conflict(c) for c in a.conflicts]
        if a.items:
            blocks.append(self.parts(a.items, "hb-items"))
        blocks += [self.notice(n) for n in a.notices if n.kind not in BEFORE_LEAD]
        if a.reminder:  # in full on the first answer; after that one line, the full text being in the footer
            text, css = (a.reminder.strip("_"), "hb-reminder") if first else (SHORT_REMINDER, "hb-reminder hb-reminder-short")
            blocks.append(f'<p class="{css}">{esc(text)}</p>')
        if a.citations:
            items = "".join(self.citation(c) for c in a.citations)
            blocks.append(f'<div class="hb-citations"><p class="hb-citations-title">Sources</p>{items}</div>')
        return blocks


def _wrap(blocks: list[str]) -> str:
    return '<div class="hb-answer">' + "".join(blocks) + "</div>"


def render_answer(answer: Answer, key: str = "a", first: bool = True, link: Linker = no_link) -> str:
    """The answer as the chat shows it. `first`: the conversation's first answer, with the reminder in full;
    `link` gives the address a citation opens in its article (none when empty)."""
    return _wrap(_Drawing(answer, key, link).blocks(first))


def reveal(answer: Answer, key: str = "a", first: bool = True, link: Linker = no_link) -> Iterator[str]:
    """Successive renderings of the answer, one more block each time (the warning is in every one)."""
    blocks = _Drawing(answer, key, link).blocks(first)
    start = 2 if answer.escalation else 1
    for n in range(start, len(blocks)):
        yield _wrap(blocks[:n])
    yield _wrap(blocks)
