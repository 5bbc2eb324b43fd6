"""The corpus: clean Markdown articles built from captured pages, and the parser that validates them.

`build_articles` applies the reviewed rules of corpus/sources.yaml to corpus/raw/; `load_articles` reads
corpus/articles/*.md and refuses, with one line per problem naming the file, anything malformed.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import CorpusError
from bot.types import Article

FRONT_MATTER_KEYS = {"id", "title", "author", "site", "seed"}
REQUIRED_KEYS = {"id", "title", "seed"}
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*$", re.MULTILINE)
_BULLET = re.compile(r"^\s*[•·▪●◦]\s*")
_NUMBERED = re.compile(r"^\s*(\d+)\.\s+")


# ---- building the corpus from raw captures --------------------------------------------------------


def build_articles(corpus_dir: Path) -> dict[str, str]:
    """Clean every page named in sources.yaml; returns {file name: Markdown text}. Writes nothing.

    >>> files = build_articles(Path("corpus"))   # doctest: +SKIP
    >>> sorted(files)[0]
    'common-hamstring-injuries.md'
    """
    rules_path = corpus_dir / "sources.yaml"
    try:
        rules = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"{rules_path}: cannot read the corpus build rules ({exc}).") from exc
    out = {}
    for source in rules.get("articles", []):
        raw_path = corpus_dir / "raw" / source["seed"]
        try:
            raw = raw_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CorpusError(f"{raw_path}: cannot read the captured page ({exc}).") from exc
        out[f"{source['id']}.md"] = clean_page(raw, source, where=str(raw_path))
    return out


def clean_page(raw: str, source: dict, where: str = "page") -> str:
    """Turn one captured page into an article: furniture dropped, headings recovered, lists tidied."""
    for fix in source.get("mend", []):
        if fix["find"] not in raw:
            raise CorpusError(f"{where}: mend rule {fix['find']!r} no longer matches; update corpus/sources.yaml.")
        raw = raw.replace(fix["find"], fix["replace"])

    lines = [" ".join(line.split()) for line in raw.splitlines()]
    cut_from = source.get("cut_from")
    if cut_from:
        cut = next((i for i, line in enumerate(lines) if line.startswith(cut_from)), None)
        if cut is None:
            raise CorpusError(f"{where}: cut_from line {cut_from!r} not found; update corpus/sources.yaml.")
        lines = lines[:cut]

    drop = set(source.get("drop", []))
    headings = {h["text"]: h["level"] for h in source.get("headings", [])}
    unused = (drop | set(headings)) - set(lines)
    if unused:
        raise CorpusError(f"{where}: rules match no line: {sorted(unused)}; update corpus/sources.yaml.")

    blocks: list[str] = [f"# {source['title']}"]
    list_items: list[str] = []
    for line in lines:
        if not line or line in drop:
            continue
        if line in headings:
            _flush(blocks, list_items)
            blocks.append("#" * headings[line] + " " + line)
            continue
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet:
            list_items.append("- " + line[bullet.end():])
        elif numbered:
            list_items.append(f"{numbered.group(1)}. " + line[numbered.end():])
        else:
            _flush(blocks, list_items)
            blocks.append(line)
    _flush(blocks, list_items)

    front = {k: source[k] for k in ("id", "title", "author", "site", "seed") if source.get(k)}
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n" + "\n\n".join(blocks) + "\n"


def _flush(blocks: list[str], list_items: list[str]) -> None:
    if list_items:
        blocks.append("\n".join(list_items))
        list_items.clear()


def write_articles(corpus_dir: Path) -> list[Path]:
    """Rebuild corpus/articles/ from the raw captures; returns the files written."""
    files = build_articles(corpus_dir)
    target = corpus_dir / "articles"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# ---- reading and validating the corpus ------------------------------------------------------------


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
