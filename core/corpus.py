"""The clean corpus: reading and validating corpus/articles/*.md, their sections, and verbatim-quote checks.

`load_articles` refuses, with one line per problem naming the file, anything malformed; `quote_problem` is
the one test of "is this quote still the article's own words?" used by every rule file and the evals.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.errors import CorpusError
from core.types import Article

FRONT_MATTER_KEYS = {"id", "title", "author", "site", "seed"}
REQUIRED_KEYS = {"id", "title", "seed"}
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    """A run of an article's body under one heading (None before the first heading)."""

    heading: str | None
    start: int
    end: int


def load_articles(articles_dir: Path, max_bytes: int = 1_000_000) -> list[Article]:
    """Parse and validate every *.md file; raise CorpusError listing every problem, one line each."""
    if not articles_dir.is_dir():
        raise CorpusError(f"{articles_dir}: corpus folder not found; set HAMSTRING_CORPUS_DIR or restore corpus/articles/.")
    paths = sorted(articles_dir.glob("*.md"))
    if not paths:
        raise CorpusError(f"{articles_dir}: no articles (*.md) found; nothing to index.")
    articles, problems, seen = [], [], {}
    for path in paths:
        try:
            article = parse_article(path, max_bytes)
        except CorpusError as exc:
            problems.append(str(exc))
            continue
        if article.id in seen:
            problems.append(f"{path}: duplicate id {article.id!r} (also in {seen[article.id].name}); ids must be unique.")
            continue
        seen[article.id] = path
        articles.append(article)
    if problems:
        raise CorpusError("\n".join(problems))
    return articles


def parse_article(path: Path, max_bytes: int = 1_000_000) -> Article:
    """One article file → Article; CorpusError naming the file for anything malformed."""
    try:
        size = path.stat().st_size
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror}).") from exc
    if size > max_bytes:
        raise CorpusError(f"{path}: {size} bytes is over the {max_bytes}-byte limit for an article; is it the right file?")
    if b"\x00" in data:
        raise CorpusError(f"{path}: binary file (contains NUL bytes); articles must be UTF-8 Markdown text.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 (bad byte at offset {exc.start}); save it as UTF-8.") from exc
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise CorpusError(f"{path}: no front matter; start the file with a '---' block holding id, title and seed.")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise CorpusError(f"{path}: front matter is not closed; add a '---' line after it.")
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path}: front matter is not valid YAML ({exc.__class__.__name__}).") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: front matter must be key: value lines.")
    unknown = set(meta) - FRONT_MATTER_KEYS
    if unknown:
        raise CorpusError(f"{path}: unknown front-matter keys {sorted(unknown)}; allowed: {sorted(FRONT_MATTER_KEYS)}.")
    missing = [k for k in sorted(REQUIRED_KEYS) if not str(meta.get(k) or "").strip()]
    if missing:
        raise CorpusError(f"{path}: missing front-matter {', '.join(missing)}.")
    if not ID_PATTERN.match(str(meta["id"])):
        raise CorpusError(f"{path}: id {meta['id']!r} must be lowercase words joined by hyphens.")
    body = text[end + len("\n---\n"):].strip("\n") + "\n"
    if not any(section_text(body, s).strip() for s in sections(body)):
        raise CorpusError(f"{path}: empty body; an article needs text under its front matter.")
    return Article(
        id=str(meta["id"]),
        title=str(meta["title"]).strip(),
        body=body,
        seed=str(meta["seed"]),
        author=meta.get("author"),
        site=meta.get("site"),
    )


def sections(body: str) -> list[Section]:
    """Split a body at its ## and deeper headings; the level-1 title line belongs to no section."""
    found, heading, start = [], None, 0
    path: dict[int, str] = {}  # level -> heading text, so "### Prevention" reads "Tendinopathy › Prevention"
    for match in HEADING.finditer(body):
        found.append(Section(heading, start, match.start()))
        level = len(match.group(1))
        path = {lvl: text for lvl, text in path.items() if lvl < level}
        path[level] = match.group(2)
        heading = " › ".join(text for lvl, text in sorted(path.items()) if lvl > 1) or None
        start = match.end()
    found.append(Section(heading, start, len(body)))
    return [s for s in found if section_text(body, s).strip()]


def section_text(body: str, section: Section) -> str:
    return body[section.start:section.end]


def quote_problem(bodies: dict[str, str], source_id: str, quote: str, *, reflowed: bool = False) -> str | None:
    """None when `quote` is the article's own words, else what is wrong, e.g. "quote not verbatim in …".

    With `reflowed`, runs of white space count as one space (a quote re-wrapped across lines still matches);
    `bodies` must then be flattened the same way.

    >>> quote_problem({"a": "Rest first. Then walk."}, "a", "Then walk.") is None
    True
    >>> quote_problem({"a": "Rest first."}, "a", "Run first.")
    "quote not verbatim in a: 'Run first.'"
    """
    if source_id not in bodies:
        return f"no article with id {source_id!r}"
    if reflowed:
        quote = " ".join(quote.split())
    if not quote.strip():
        return f"empty quote from {source_id}"
    if quote not in bodies[source_id]:
        return f"quote not verbatim in {source_id}: {quote!r}"
    return None
