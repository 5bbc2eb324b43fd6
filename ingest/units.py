"""Cut articles into answer units (paragraphs, lists with their lead-in, numbered tips, step sequences) and
label each with its kind and situations by the reviewed rules of corpus/units.yaml.

A unit never starts with a sentence that leans on text it doesn't hold; `text == body[start:end]` always.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from core.corpus import sections
from core.errors import CorpusError
from core.rulefile import RuleModel, Text, load_rule_file
from core.text import ABOUT_THE_ARTICLE, CONTINUES, LEANS_BACK, LIST_MARKER, sentence_spans
from core.types import Article, Unit

UNITS_VERSION = 1
BEFORE_ANY_HEADING = "(before any heading)"
KINDS = ("advice", "explanation", "definition", "story", "promotion", "signpost")
SITUATIONS = ("healthy", "sore", "injured", "tendinopathy", "returning", "any")
LONG_ITEM_WORDS = 25  # a list item this long is a tip a runner can act on by itself
LEAD_IN_WORDS = 12  # a list is read with at least this much of the paragraph before it (whole sentences)
FILLER_WORDS = 6  # a paragraph shorter than this ("It’s simple.", "Sounds great?") only links others

Kind = Literal["advice", "explanation", "definition", "story", "promotion", "signpost"]
Situation = Literal["healthy", "sore", "injured", "tendinopathy", "returning", "any"]


class Label(RuleModel):
    kind: Kind | None = None
    situations: Annotated[list[Situation], Field(min_length=1)] | None = None


class Override(Label):
    starts: Text


class Join(RuleModel):
    from_: Text = Field(alias="from")
    through: Text


class ArticleRules(RuleModel):
    sections: dict[str, Label]
    join: list[Join] = []
    units: list[Override] = []


class UnitsFile(RuleModel):
    """corpus/units.yaml: per article, section defaults, unit overrides and joins."""

    version: Literal[UNITS_VERSION]
    articles: dict[str, ArticleRules]


@dataclass
class _Span:
    start: int
    end: int
    form: str
    section: str | None


def load_unit_rules(path: Path) -> UnitsFile:
    return load_rule_file(path, UnitsFile)


def article_units(article: Article, rules: UnitsFile, path: Path) -> list[Unit]:
    """The article's units, labelled; CorpusError naming any rule that matches nothing."""
    own = rules.articles.get(article.id)
    if own is None:
        raise CorpusError(f"{path}: no entry for article {article.id!r}; add its sections there.")
    body, spans, problems = article.body, [], []
    for section in sections(body):
        spans += _section_units(body, section.start, section.end, section.heading)
    spans, joined = _join(body, spans, own.join)
    problems += [f"{path}: {article.id}: join from {j.from_!r}: no unit starts so, or none after it starts with {j.through!r}" for j in joined]
    units, used = [], set()
    for order, span in enumerate(spans):
        text = body[span.start : span.end]
        heading = (span.section or BEFORE_ANY_HEADING).split(" › ")[-1]
        if heading not in own.sections:
            problems.append(f"{path}: {article.id}: section {heading!r} has no entry under sections; add it.")
            continue
        label = own.sections[heading]
        kind, situations = label.kind or "explanation", label.situations or ["any"]
        for n, override in enumerate(own.units):
            if text.startswith(override.starts):
                used.add(n)
                kind, situations = override.kind or kind, override.situations or situations
        if span.form == "paragraph" and (len(text.split()) < FILLER_WORDS or text.rstrip().endswith("?") or ABOUT_THE_ARTICLE.search(text)):
            kind = "signpost"
        unit_id = hashlib.sha256("\x1f".join(["unit", article.id, text, kind, ",".join(situations), span.form, str(order)]).encode()).hexdigest()[:24]
        units.append(Unit(unit_id, article.id, article.title, span.section, text, span.start, span.end, order, span.form, kind, tuple(situations)))
    problems += [f"{path}: {article.id}: units[{n}] starts {o.starts!r}: no unit starts so; copy its first words from the article." for n, o in enumerate(own.units) if n not in used]
    if problems:
        raise CorpusError("\n".join(problems))
    return units


def _blocks(body: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(start, end, is_list) of the paragraphs and lists between two headings, skipping heading lines."""
    blocks, pos = [], start
    for chunk in re.split(r"(\n\s*\n)", body[start:end]):
        b_start, b_end = pos, pos + len(chunk)
        pos = b_end
        text = chunk.strip()
        if not text or text.startswith("#"):
            continue
        b_start += len(chunk) - len(chunk.lstrip())
        b_end -= len(chunk) - len(chunk.rstrip())
        is_list = all(LIST_MARKER.match(line.strip()) for line in text.splitlines())
        blocks.append((b_start, b_end, is_list))
    return blocks


def _section_units(body: str, start: int, end: int, section: str | None) -> list[_Span]:
    spans: list[_Span] = []
    for b_start, b_end, is_list in _blocks(body, start, end):
        if is_list:
            items = _items(body, b_start, b_end)
            lead = spans[-1] if spans and spans[-1].form == "paragraph" else None
            lead_in = _lead_in(body, lead.start, lead.end) if lead else b_start
            if lead and lead_in > lead.start:
                lead.end = _trimmed_end(body, lead.start, lead_in)  # the paragraph without its lead-in
            elif lead:
                spans.pop()  # the whole paragraph leads into the list: it is read with it, not alone
            if any(len(body[s:e].split()) > LONG_ITEM_WORDS for s, e in items):
                spans += [_Span(s, e, "tip", section) for s, e in items]  # each tip also stands alone
            spans.append(_Span(lead_in, b_end, "list", section))
            continue
        text = body[b_start:b_end]
        leans = (LEANS_BACK.match(text) and len(text.split()) >= FILLER_WORDS and not ABOUT_THE_ARTICLE.search(text)) or CONTINUES.match(text)
        previous = spans[-1] if spans else None
        if leans and previous and previous.form in ("paragraph", "steps") and len(body[previous.start : previous.end].split()) >= FILLER_WORDS:
            previous.end = b_end
            previous.form = "steps" if CONTINUES.match(text) else previous.form
        else:
            spans.append(_Span(b_start, b_end, "paragraph", section))
    return spans


def _trimmed_end(body: str, start: int, end: int) -> int:
    while end > start and body[end - 1].isspace():
        end -= 1
    return end


def _lead_in(body: str, start: int, end: int) -> int:
    """Where a list's lead-in starts: the fewest last sentences of the paragraph before it that make
    LEAD_IN_WORDS, never starting on a sentence that leans on the one before."""
    spans = sentence_spans(body, start, end)
    first = len(spans) - 1
    while first > 0 and (len(body[spans[first][0] : end].split()) < LEAD_IN_WORDS or LEANS_BACK.match(body[spans[first][0] : spans[first][1]])):
        first -= 1
    return spans[first][0] if spans else start


def _items(body: str, start: int, end: int) -> list[tuple[int, int]]:
    items, pos = [], start
    for line in body[start:end].split("\n"):
        marker = LIST_MARKER.match(line.strip())
        offset = pos + len(line) - len(line.lstrip()) + (marker.end() if marker else 0)
        items.append((offset, pos + len(line.rstrip())))
        pos += len(line) + 1
    return items


def _join(body: str, spans: list[_Span], joins: list[Join]) -> tuple[list[_Span], list[Join]]:
    """Spans with each reviewed run joined into one "steps" unit; the joins that matched nothing."""
    unmatched = []
    for join in joins:
        first = next((i for i, s in enumerate(spans) if body[s.start : s.end].startswith(join.from_)), None)
        last = next((i for i, s in enumerate(spans) if first is not None and i >= first and body[s.start : s.end].startswith(join.through)), None)
        if first is None or last is None:
            unmatched.append(join)
            continue
        merged = _Span(spans[first].start, spans[last].end, "steps", spans[first].section)
        spans = spans[:first] + [merged] + spans[last + 1 :]
    return spans, unmatched
