"""How an Answer looks in the chat: Markdown and HTML built only from escaped text, the warning first.

`render_answer` gives the finished message and `reveal` the frames of it streaming in.
"""

import html
from collections.abc import Iterator

from bot.render import DISAGREEMENT_OPENING
from bot.types import Answer


# The chat sanitises HTML as well; escaping every piece of text before it is placed means nothing a user
# types, nor any corpus text, can become markup or script even if that sanitiser lets something through.


def esc(text: str) -> str:
    # No raw newlines: a blank line would end the HTML block and hand the rest to Markdown.
    return html.escape(text, quote=True).replace("\n", "<br>")


def render_user(text: str) -> str:
    """What the user typed, as an HTML block of escaped text, so not even Markdown applies to it.

    >>> render_user("<img src=x onerror=alert(1)>")
    '<div class="hb-user">&lt;img src=x onerror=alert(1)&gt;</div>'
    """
    return f'<div class="hb-user">{esc(text)}</div>'


def _block(css_class: str, markdown: str, role: str = "") -> str:
    # Blank lines around the Markdown let the chat render it inside the styled <div>.
    role_attr = f' role="{role}"' if role else ""
    return f'<div class="{css_class}"{role_attr}>\n\n{html.escape(markdown, quote=False)}\n\n</div>'


def split_answer(answer: Answer) -> tuple[list[str], list[str], list[str]]:
    """Answer text as (warning paragraphs, body paragraphs, disagreement paragraphs).

    The chain writes the escalation first, ending with its advice, and each disagreement as one
    paragraph opening "**The sources disagree"; the page styles those apart from the body.
    """
    paragraphs = [p for p in answer.text.split("\n\n") if p.strip()]
    warning: list[str] = []
    if answer.escalation:
        ends = [i for i, p in enumerate(paragraphs) if answer.escalation.advice in p]
        if ends:
            warning, paragraphs = paragraphs[: ends[0] + 1], paragraphs[ends[0] + 1 :]
    disagreements = [p for p in paragraphs if p.startswith(DISAGREEMENT_OPENING)]
    body = [p for p in paragraphs if p not in disagreements]
    return warning, body, disagreements


def render_answer(answer: Answer, titles: dict[str, str], words: int | None = None) -> str:
    """The answer as the chat shows it; with `words`, only that many words of the body (while streaming)."""
    warning, body, disagreements = split_answer(answer)
    parts = []
    if answer.escalation:  # first, so nobody reads on before seeing the warning
        e = answer.escalation
        parts.append(_block("hb-escalation", "\n\n".join(warning) or f"**⚠️ {e.advice}**", role="alert"))
    text = "\n\n".join(body)
    tokens = text.split(" ")
    if words is not None and words < len(tokens):
        return "\n\n".join(parts + [html.escape(" ".join(tokens[:words]), quote=False) + " …"])
    parts.append(html.escape(text, quote=False))
    parts += [_block("hb-conflict", d) for d in disagreements]
    if answer.conflicts and not disagreements:  # the text did not spell them out: build them from the fields
        for c in answer.conflicts:
            sides = "\n".join(f"- *{titles.get(p.source_id, p.source_id)}* — {p.stance}: “{p.quote}”" for p in c.positions)
            parts.append(_block("hb-conflict", f"{DISAGREEMENT_OPENING} — {c.topic}.** {c.summary}\n{sides}"))
    if answer.citations:
        items = "".join(
            f'<details class="hb-citation"><summary>[{c.n}] {esc(c.title)}'
            + (f" — {esc(c.section)}" if c.section else "")
            + f"</summary><blockquote>{esc(c.quote)}</blockquote>"
            + f'<p class="hb-source">From “{esc(c.title)}”'
            + (f", section “{esc(c.section)}”" if c.section else "")
            + ".</p></details>"
            for c in answer.citations
        )
        parts.append(f'<div class="hb-citations"><p class="hb-citations-title">Sources</p>{items}</div>')
    return "\n\n".join(parts)


def reveal(answer: Answer, titles: dict[str, str], step: int = 6) -> Iterator[str]:
    """Successive renderings of the answer, a few more words each time, ending with all of it."""
    words = len("\n\n".join(split_answer(answer)[1]).split(" "))
    for n in range(step, words, step):
        yield render_answer(answer, titles, n)
    yield render_answer(answer, titles)
