"""Captured pages → clean Markdown articles, by the reviewed rules of corpus/sources.yaml.

`build_articles` applies the rules (furniture dropped, headings recovered, lists tidied); `write_articles` saves them.
"""

import re
from pathlib import Path

import yaml

from core.errors import CorpusError

_BULLET = re.compile(r"^\s*[•·▪●◦]\s*")
_NUMBERED = re.compile(r"^\s*(\d+)\.\s+")


def build_articles(corpus_dir: Path) -> dict[str, str]:
    """Clean every page named in sources.yaml; returns {file name: Markdown text}. Writes nothing.

    >>> files = build_articles(Path("corpus"))
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
