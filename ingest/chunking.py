"""Split articles into sentences and into passages of whole sentences that never cross a section.

Every piece keeps its exact character span in the article body, so quotes are always verbatim.
"""

import hashlib

from core.corpus import sections
from core.text import LIST_MARKER, sentence_spans
from core.types import Article, Chunk

# How text is cut is versioned by core.index.CHUNKER_VERSION: bump it when this module changes its output.


def content_id(*parts: str) -> str:
    """A stable id from content: the same text in the same place of the same article keeps its id."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def split_sentences(article: Article) -> list[Chunk]:
    """Every sentence of the article (list items count as sentences), in reading order.

    >>> art = Article(id="a", title="T", seed="s", body="# T\\n\\n## Rest\\n\\nRest first. Then walk.\\n")
    >>> [s.text for s in split_sentences(art)]
    ['Rest first.', 'Then walk.']
    """
    body, found = article.body, []
    for section in sections(body):
        for start, end in _lines_and_paragraphs(body, section.start, section.end):
            block = body[start:end]
            marker = LIST_MARKER.match(block)
            offset = start + (marker.end() if marker else 0)
            found += [(section.heading, s, e) for s, e in sentence_spans(body, offset, end)]
    occurrences = _occurrences([(heading, body[s:e]) for heading, s, e in found])
    return [
        Chunk(
            id=content_id("sentence", article.id, heading or "", body[s:e], occurrences[i]),
            kind="sentence",
            source_id=article.id,
            title=article.title,
            section=heading,
            text=body[s:e],
            start=s,
            end=e,
            order=i,
        )
        for i, (heading, s, e) in enumerate(found)
    ]


def chunk_article(article: Article, sentences: list[Chunk], chunk_chars: int, overlap: int) -> list[Chunk]:
    """Group consecutive sentences of one section into passages of about `chunk_chars` characters.

    The last `overlap` sentences of a passage open the next one, so a thought cut at the boundary
    is still whole in one of them.
    """
    passages: list[list[Chunk]] = []
    by_section: dict[str | None, list[Chunk]] = {}
    for sentence in sentences:
        by_section.setdefault(sentence.section, []).append(sentence)
    for group in by_section.values():
        current: list[Chunk] = []
        for sentence in group:
            size = sentence.end - current[0].start if current else 0
            if current and size > chunk_chars:
                passages.append(current)
                current = current[-overlap:] if overlap and len(current) > overlap else []
            current.append(sentence)
        if current:
            passages.append(current)
    body = article.body
    occurrences = _occurrences([(g[0].section, body[g[0].start : g[-1].end]) for g in passages])
    return [
        Chunk(
            id=content_id("chunk", article.id, group[0].section or "", body[group[0].start : group[-1].end], occurrences[i]),
            kind="chunk",
            source_id=article.id,
            title=article.title,
            section=group[0].section,
            text=body[group[0].start : group[-1].end],
            start=group[0].start,
            end=group[-1].end,
            order=i,
        )
        for i, group in enumerate(passages)
    ]


def _occurrences(keys: list[tuple]) -> list[str]:
    """"0" for the first time a (section, text) pair appears, "1" for a repeat, …: ids stay unique."""
    seen: dict[tuple, int] = {}
    out = []
    for key in keys:
        out.append(str(seen.get(key, 0)))
        seen[key] = seen.get(key, 0) + 1
    return out


def _lines_and_paragraphs(body: str, start: int, end: int):
    """Spans of paragraphs and of single list items within [start, end)."""
    pos = start
    for line in body[start:end].split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        if line.strip():
            yield line_start, line_end
