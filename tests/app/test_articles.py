"""The article pages: every article readable at /articles/{id}, a cited span highlighted by its offsets, a friendly 404.

Checked as HTML through FastAPI's test client over the real corpus; the browser test opens one from a citation.
"""

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from core.corpus import load_articles
from core.settings import Settings
from core.types import Article, Citation
from web.articles import Shelf, article_page, render_body

QUOTE = "A grade III rupture is usually obvious."  # a sentence of common-hamstring-injuries


class Marks(HTMLParser):
    """Collects the text inside <mark> elements, the id of the first, and checks that every tag is closed in order."""

    VOID = {"br", "hr", "img", "meta", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.marked, self.ids, self.in_mark, self.problems = [], [], [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        self.stack.append(tag)
        if tag == "mark":
            self.in_mark += 1
            self.ids.append(dict(attrs).get("id"))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        if tag == "mark":
            self.in_mark -= 1

    def handle_data(self, data):
        if self.in_mark:
            self.marked.append(data)


def marks(html: str) -> Marks:
    parser = Marks()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def shelf() -> Shelf:
    return Shelf.of(load_articles(Settings().articles_dir))


@pytest.fixture
def client(web_app) -> TestClient:
    return TestClient(web_app)


def a_quote(shelf: Shelf) -> tuple[Article, str]:
    """A sentence that really is in an article (quotes are verbatim article text)."""
    article = shelf.articles["common-hamstring-injuries"]
    assert QUOTE in article.body
    return article, QUOTE


def test_a_citation_links_to_its_article_with_the_quotes_offsets(shelf):
    article, quote = a_quote(shelf)
    link = shelf.link(Citation(n=1, source_id=article.id, title=article.title, quote=quote))
    path, _, rest = link.partition("?")
    assert path == f"articles/{article.id}" and rest.endswith("#quote")
    start, end = (int(kv.split("=")[1]) for kv in rest.removesuffix("#quote").split("&"))
    assert article.body[start:end] == quote


def test_a_quote_not_in_the_article_links_to_the_whole_article(shelf):
    article, _ = a_quote(shelf)
    assert shelf.link(Citation(n=1, source_id=article.id, title="t", quote="Words no article says.")) == f"articles/{article.id}"


def test_the_page_highlights_exactly_the_span_even_across_a_list(shelf):
    article = shelf.articles["dack-complete-guide"]
    start = article.body.index("In this article")
    end = article.body.index("Why hamstring pain is common in runners") + len("Why hamstring pain is common in runners")
    page = marks(article_page(article, (start, end)))
    assert page.problems == [] and page.stack == []
    highlighted = [m for m in page.marked if m != "highlighted passage"]  # the note above the article says what the mark means
    assert highlighted[0].startswith("In this article") and highlighted[-2:] == ["Hamstrings anatomy", "Why hamstring pain is common in runners"]
    assert [i for i in page.ids if i] == ["quote"]  # one anchor, on the first piece


def test_every_article_reads_with_its_sections(client, shelf):
    for article in shelf.articles.values():
        r = client.get(f"/articles/{article.id}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert f"<title>{article.title}</title>" in r.text.replace("&#x27;", "'")
        html, contents = render_body(article.body)
        assert bool(contents) == ("\n## " in article.body), f"{article.id}: its sections should be listed"
        ids = [slug for _, slug, _ in contents]
        assert len(ids) == len(set(ids)) and all(f'id="{slug}"' in r.text for slug in ids)
        assert "<mark" not in r.text


def test_the_route_highlights_the_span_it_is_given(client, shelf):
    article, quote = a_quote(shelf)
    start, end = shelf.span(article.id, quote)
    r = client.get(f"/articles/{article.id}?start={start}&end={end}")
    page = marks(r.text)
    assert page.problems == [] and "quote" in page.ids
    assert "".join(m for m in page.marked if m != "highlighted passage") == quote


@pytest.mark.parametrize("query", ["start=50&end=10", "start=0&end=99999999", "start=-5&end=10", "start=7", "start=abc&end=9"])
def test_a_span_outside_the_article_shows_it_without_a_highlight(client, shelf, query):
    r = client.get(f"/articles/dack-complete-guide?{query}")
    assert r.status_code == 200 and "<mark" not in r.text


def test_an_unknown_article_is_a_friendly_404_listing_the_real_ones(client, shelf):
    r = client.get("/articles/no-such-article")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "No article called “no-such-article”" in r.text
    for article in shelf.articles.values():
        assert f'href="{article.id}"' in r.text
    assert "<script" not in client.get("/articles/%3Cscript%3Ealert(1)%3C%2Fscript%3E").text


def test_article_markdown_cannot_inject_markup_or_fetch_images():
    body = "# T\n\nHello <script>alert(1)</script> and <b>bold</b>.\n\n![x](https://example.com/x.png)\n\n[bad](javascript:alert(1))\n"
    html, _ = render_body(body)
    assert "<script" not in html and "<b>" not in html and "<img" not in html and "href=\"javascript" not in html
    assert "&lt;script&gt;" in html
