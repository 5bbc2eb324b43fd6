"""The five articles as readable pages at /articles/{id}: every section under its heading, a quoted span highlighted.

A citation links to `/articles/{id}?start=S&end=E#quote`, S and E being the quote's character offsets in the
article body; the page marks exactly `body[S:E]`. Markdown is drawn by markdown-it with raw HTML and images off.
"""

import html
import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote as url_quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt

from core.markdown import REMINDER
from core.types import Article, Citation

# Private-use characters mark where the quote starts and ends while the Markdown is drawn; article text never
# holds them (the corpus is prose), and they come out as plain text, so the marks can be placed afterwards.
OPEN, CLOSE = "\ue000", "\ue001"
# A span starting at a line's list marker or heading hashes starts, for the reader, after them.
LINE_MARKUP = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|\d+[.)][ \t]+)")
TAG = re.compile(r"(<[^>]+>)")
PAGE_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fafaf7; color: #1f2933; font: 17px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 44rem; margin: 0 auto; padding: 1rem 1.1rem 3rem; }
.hb-top { font-size: 0.9rem; color: #3e4c59; border-bottom: 1px solid #d9dee3; padding-bottom: 0.6rem; margin-bottom: 1rem; }
.hb-top a, main a { color: #1d4ed8; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.4rem 0 0.6rem; }
h2 { font-size: 1.25rem; margin: 1.8rem 0 0.4rem; }
h3, h4 { font-size: 1.05rem; margin: 1.3rem 0 0.3rem; }
.hb-byline { color: #3e4c59; margin: 0 0 1rem; }
.hb-contents { background: #fff; border: 1px solid #d9dee3; border-radius: 8px; padding: 0.5rem 1rem; font-size: 0.95rem; }
.hb-contents ul { margin: 0.3rem 0; padding-left: 1.1rem; }
.hb-quote-note { background: #fff7d6; border: 1px solid #b7791f; border-radius: 8px; padding: 0.5rem 0.8rem; }
mark.hb-quote { background: #fde68a; color: #1f2933; padding: 0.05em 0.1em; border-radius: 2px; box-shadow: 0 0 0 2px #fde68a; }
#quote { scroll-margin-top: 4rem; }
.hb-disclaimer { margin-top: 2.5rem; border-top: 1px solid #d9dee3; padding-top: 0.8rem; font-size: 0.9rem; color: #3e4c59; }
"""


@dataclass(frozen=True)
class Shelf:
    """The articles the bot quotes, by id, and where each quote sits in its article."""

    articles: dict[str, Article]

    @classmethod
    def of(cls, articles: list[Article]) -> "Shelf":
        return cls({a.id: a for a in articles})

    def span(self, source_id: str, quote: str) -> tuple[int, int] | None:
        """Character offsets of a verbatim quote in its article's body (quotes are verbatim by construction).

        >>> Shelf.of([Article("a", "A", "Rest first. Then walk.\\n", "s")]).span("a", "Then walk.")
        (12, 22)
        """
        article = self.articles.get(source_id)
        at = article.body.find(quote) if article and quote else -1
        return (at, at + len(quote)) if at >= 0 else None

    def link(self, citation: Citation) -> str:
        """Where a citation opens: its article, scrolled to the quote, which is highlighted.

        >>> Shelf.of([Article("a", "A", "Rest first. Then walk.\\n", "s")]).link(Citation(n=1, source_id="a", title="A", quote="Then walk."))
        'articles/a?start=12&end=22#quote'
        """
        span = (citation.start, citation.end) if citation.start is not None and citation.end is not None else self.span(citation.source_id, citation.quote)
        page = article_path(citation.source_id)
        return f"{page}?start={span[0]}&end={span[1]}#quote" if span else page


def article_path(source_id: str) -> str:
    """Relative to the app's root, so a bot served under a path prefix links right; the page makes it absolute
    where it is embedded in another site."""
    return f"articles/{url_quote(source_id)}"


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})  # raw HTML in an article stays text
    md.disable("image")  # an image would be fetched from another site; the page makes no outside request
    return md


MARKDOWN = _markdown()


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _with_marks(body: str, start: int, end: int) -> str:
    """The body with the quote's ends marked, moved past list markers and heading hashes at a line start."""
    if body[:start].endswith("\n") or start == 0:
        markup = LINE_MARKUP.match(body, start)
        if markup and markup.end() < end:
            start = markup.end()
    return body[:start] + OPEN + body[start:end] + CLOSE + body[end:]


def _highlight(rendered: str) -> str:
    """Each run of text between the markers wrapped in <mark>, so the marks nest even across paragraphs."""
    head, _, rest = rendered.partition(OPEN)
    inside, _, tail = rest.partition(CLOSE)
    pieces, first = [], True
    for piece in TAG.split(inside):
        if piece and not piece.startswith("<") and piece.strip():
            anchor = ' id="quote" tabindex="-1"' if first else ""
            piece, first = f'<mark class="hb-quote"{anchor}>{piece}</mark>', False
        pieces.append(piece)
    return head + "".join(pieces) + tail


def render_body(body: str, span: tuple[int, int] | None = None) -> tuple[str, list[tuple[int, str, str]]]:
    """The article's HTML, its headings given ids, with `body[start:end]` highlighted; and its contents."""
    source = _with_marks(body, *span) if span else body
    tokens = MARKDOWN.parse(source)
    taken: set[str] = {"quote"}
    contents = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            text = tokens[i + 1].content.replace(OPEN, "").replace(CLOSE, "")
            slug = _slug(text, taken)
            token.attrSet("id", slug)
            if token.tag != "h1":
                contents.append((int(token.tag[1]), slug, text))
    rendered = MARKDOWN.renderer.render(tokens, MARKDOWN.options, {})
    return (_highlight(rendered) if span else rendered), contents


def _page(title: str, content: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head><body><main>"
        '<p class="hb-top">From the articles behind the <a href="../">hamstring help chat</a>.</p>'
        f"{content}"
        f'<p class="hb-disclaimer">{html.escape(REMINDER.strip("_"))}</p>'
        "</main></body></html>"
    )


def article_page(article: Article, span: tuple[int, int] | None) -> str:
    """The whole article, with a contents list of its sections, the quoted span (if any) highlighted."""
    body, contents = render_body(article.body, span)
    byline = ", ".join(html.escape(x) for x in (article.author, article.site) if x)
    parts = []
    if span:
        parts.append('<p class="hb-quote-note" role="note">The <mark class="hb-quote">highlighted passage</mark> is the one '
                     'quoted in the chat. <a href="#quote">Go to it</a>.</p>')
    if contents:
        items = "".join(f'<li><a href="#{slug}">{html.escape(text)}</a></li>' for level, slug, text in contents if level == 2)
        parts.append(f'<nav class="hb-contents" aria-label="Sections"><strong>Sections</strong><ul>{items}</ul></nav>')
    head, sep, rest = body.partition("</h1>")  # the byline and contents go under the article's own title
    if not sep:
        head, rest = f"<h1>{html.escape(article.title)}</h1>", body
        sep = ""
    return _page(article.title, head + sep + (f'<p class="hb-byline">By {byline}</p>' if byline else "") + "".join(parts) + rest)


def not_found_page(source_id: str, shelf: Shelf) -> str:
    items = "".join(f'<li><a href="{url_quote(a.id)}">{html.escape(a.title)}</a></li>' for a in shelf.articles.values())
    return _page(
        "Article not found",
        f"<h1>No article called “{html.escape(source_id)}”</h1>"
        "<p>The link may be old or mistyped. These are the articles the chat quotes:</p>"
        f"<ul>{items}</ul>",
    )


def parse_span(body: str, start: str | None, end: str | None) -> tuple[int, int] | None:
    """The span to highlight, or None when it is missing, not two whole numbers, or outside the body.

    A link that is old or hand-edited still opens the article, just without a highlight.

    >>> parse_span("Rest first.", "5", "11"), parse_span("Rest first.", "x", "3"), parse_span("Rest.", "0", "99")
    ((5, 11), None, None)
    """
    if not (start and end and start.isdigit() and end.isdigit()):
        return None
    first, last = int(start), int(end)
    return (first, last) if 0 <= first < last <= len(body) else None


def article_routes(shelf: Shelf) -> APIRouter:
    router = APIRouter()

    @router.get("/articles/{source_id}", response_class=HTMLResponse, summary="Read an article", tags=["articles"],
                responses={404: {"description": "No article with that id; the page lists the ones there are."}})
    def read_article(
        source_id: str,
        start: Annotated[str | None, Query(description="Character offset in the article body where the quote starts.")] = None,
        end: Annotated[str | None, Query(description="Character offset where the quote ends (exclusive).")] = None,
    ) -> HTMLResponse:
        """One article as a readable page; with `start` and `end`, that span of its body is highlighted (`#quote`)."""
        article = shelf.articles.get(source_id)
        if article is None:
            return HTMLResponse(not_found_page(source_id, shelf), status_code=404)
        return HTMLResponse(article_page(article, parse_span(article.body, start, end)))

    return router
