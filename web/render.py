"""How an Answer looks in the chat: Markdown and HTML built only from escaped text, the warning first.

It draws from the answer's fields (core.markdown.draw), never by parsing its text back. `render_answer`
gives the finished message and `reveal` the frames of it streaming in.
"""

import html
from collections.abc import Iterator

from core.markdown import draw
from core.types import Answer

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


def _body(answer: Answer) -> str:
    drawn = draw(answer)
    return "\n\n".join([*drawn.body, *([drawn.reminder] if drawn.reminder else [])])


def render_answer(answer: Answer, words: int | None = None) -> str:
    """The answer as the chat shows it; with `words`, only that many words of the body (while streaming)."""
    drawn = draw(answer)
    parts = []
    if drawn.warning:  # first, so nobody reads on before seeing the warning
        parts.append(_block("hb-escalation", "\n\n".join(drawn.warning), role="alert"))
    body = _body(answer)
    tokens = body.split(" ")
    if words is not None and words < len(tokens):
        return "\n\n".join(parts + [html.escape(" ".join(tokens[:words]), quote=False) + " …"])
    parts.append(html.escape(body, quote=False))
    parts += [_block("hb-conflict", d) for d in drawn.disagreements]
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


def reveal(answer: Answer, step: int = 6) -> Iterator[str]:
    """Successive renderings of the answer, a few more words each time, ending with all of it."""
    words = len(_body(answer).split(" "))
    for n in range(step, words, step):
        yield render_answer(answer, n)
    yield render_answer(answer)
