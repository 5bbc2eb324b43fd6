"""The checks: one function per expectation key, each turning an Answer into a pass/fail with its reason.

`judge` runs the checks a case asks for, plus the citation check that every answer must pass.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.corpus import quote_problem
from core.types import Answer, Article, Citation, Conflict
from evals.results import CheckResult
from evals.schema import Expect, alternatives

MARKER = re.compile(r"\[(\d+)\]")
_TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    """Case-, quote- and whitespace-insensitive form for contains checks.

    The articles use typographic apostrophes (don’t); evaluators type straight ones (don't).
    >>> normalise("Don’t  STRETCH\\n it")
    "don't stretch it"
    """
    return " ".join(text.translate(_TYPOGRAPHIC).casefold().split())


@dataclass(frozen=True)
class Corpus:
    """The article bodies quotes are checked against, keyed by article id."""

    bodies: dict[str, str]

    @classmethod
    def from_articles(cls, articles: Iterable[Article]) -> "Corpus":
        # Whitespace is collapsed once here: a quote reflowed across a line break is still the article's words.
        return cls({article.id: " ".join(article.body.split()) for article in articles})

    @property
    def ids(self) -> set[str]:
        return set(self.bodies)

    def has_text(self, text: str) -> bool:
        """True when some article contains `text` (case, quotes and whitespace aside): a cites_quote can be met."""
        needle = normalise(text)
        return any(needle in normalise(body) for body in self.bodies.values())

    def quote_problem(self, source_id: str, quote: str) -> str | None:
        """None when `quote` is verbatim text of article `source_id`, else what is wrong with it."""
        return quote_problem(self.bodies, source_id, quote, reflowed=True)


def judge(expect: Expect, answer: Answer, corpus: Corpus) -> list[CheckResult]:
    """Every check the case's expectations name, in a fixed order (CHECKS), then the citation check."""
    results = [check(answer, getattr(expect, key)) for key, check in CHECKS if getattr(expect, key) is not None]
    results.append(check_citations(answer, corpus))
    return results


def check_sources_any(answer: Answer, sources: list[str]) -> CheckResult:
    cited = list(dict.fromkeys(c.source_id for c in answer.citations))
    hit = [s for s in cited if s in sources]
    if hit:
        return CheckResult(name="sources_any", passed=True, why=f"cited {', '.join(hit)}")
    shown = ", ".join(cited) if cited else "nothing"
    return CheckResult(name="sources_any", passed=False, why=f"cited {shown}; expected any of {', '.join(sources)}")


def check_contains(answer: Answer, items: list[str]) -> CheckResult:
    text = normalise(answer.text)
    missing = [item for item in items if not any(normalise(alt) in text for alt in alternatives(item))]
    if missing:
        return CheckResult(name="contains", passed=False, why="missing " + ", ".join(f'"{m}"' for m in missing))
    return CheckResult(name="contains", passed=True, why=f"found all {len(items)}")


def check_not_contains(answer: Answer, items: list[str]) -> CheckResult:
    text = normalise(answer.text)
    found = []
    for item in items:
        for alt in alternatives(item):
            needle = normalise(alt)
            at = text.find(needle)
            if at >= 0:
                found.append(f'"{alt}" in "…{text[max(0, at - 30):at + len(needle) + 30]}…"')
    if found:
        return CheckResult(name="not_contains", passed=False, why="found " + "; ".join(found))
    return CheckResult(name="not_contains", passed=True, why=f"none of {len(items)} found")


def check_escalate(answer: Answer, expected: bool) -> CheckResult:
    escalated = answer.escalation is not None
    if escalated:
        shown = "escalated (" + (", ".join(answer.escalation.reasons) or "no reasons given") + ")"
    else:
        shown = "did not escalate"
    return CheckResult(name="escalate", passed=escalated == expected, why=f"{shown}; expected {'to' if expected else 'not to'}")


def check_conflict(answer: Answer, expected: bool) -> CheckResult:
    two_sided = [c.topic for c in two_sided_conflicts(answer)]
    one_sided = [c.topic for c in answer.conflicts if c.topic not in two_sided]
    if expected:
        if two_sided:
            return CheckResult(name="conflict", passed=True, why=f"surfaced {', '.join(two_sided)}")
        why = f"only one side shown for {', '.join(one_sided)}" if one_sided else "no disagreement surfaced"
        return CheckResult(name="conflict", passed=False, why=f"{why}; expected one")
    if answer.conflicts:
        topics = ", ".join(c.topic for c in answer.conflicts)
        return CheckResult(name="conflict", passed=False, why=f"surfaced {topics}; expected none")
    return CheckResult(name="conflict", passed=True, why="no disagreement surfaced, as expected")


def check_out_of_scope(answer: Answer, expected: bool) -> CheckResult:
    shown = "declined as out of scope" if answer.out_of_scope else "answered as in scope"
    passed = answer.out_of_scope == expected
    return CheckResult(name="out_of_scope", passed=passed, why=f"{shown}; expected {'a decline' if expected else 'an answer'}")


def body_text(answer: Answer) -> str:
    """What a runner reads before the sources: the lead, the supporting items and the bot's notices."""
    return "\n".join([*([answer.lead.text] if answer.lead else []), *(p.text for p in answer.items), *(n.text for n in answer.notices)])


def check_lead_contains(answer: Answer, items: list[str]) -> CheckResult:
    if answer.lead is None:
        return CheckResult(name="lead_contains", passed=False, why="no lead: " + _what_instead(answer))
    lead = normalise(answer.lead.text)
    missing = [item for item in items if not any(normalise(alt) in lead for alt in alternatives(item))]
    if missing:
        return CheckResult(name="lead_contains", passed=False, why=f"lead lacks {', '.join(repr(m) for m in missing)}: “{clip(answer.lead.text)}”")
    return CheckResult(name="lead_contains", passed=True, why=f"lead has all {len(items)}")


def check_lead_source(answer: Answer, sources: list[str]) -> CheckResult:
    if answer.lead is None or not answer.lead.citations:
        return CheckResult(name="lead_source", passed=False, why="no lead: " + _what_instead(answer))
    cited = {c.n: c.source_id for c in answer.citations}.get(answer.lead.citations[0])
    return CheckResult(name="lead_source", passed=cited in sources, why=f"lead from {cited}; expected any of {', '.join(sources)}")


def check_body_not_contains(answer: Answer, items: list[str]) -> CheckResult:
    body = normalise(body_text(answer))
    found = [alt for item in items for alt in alternatives(item) if normalise(alt) in body]
    if found:
        return CheckResult(name="body_not_contains", passed=False, why="body says " + ", ".join(repr(f) for f in found))
    return CheckResult(name="body_not_contains", passed=True, why=f"none of {len(items)} in the body")


def check_says_not_covered(answer: Answer, expected: bool) -> CheckResult:
    said = any(n.kind == "not-covered" for n in answer.notices)
    shown = "says the articles don't cover it" if said else "does not say it is not covered"
    return CheckResult(name="says_not_covered", passed=said == expected, why=f"{shown}; expected {'to' if expected else 'not to'}")


def check_max_words(answer: Answer, most: int) -> CheckResult:
    count = len(body_text(answer).split())
    return CheckResult(name="max_words", passed=count <= most, why=f"{count} words in the body; at most {most}")


def check_cites_quote(answer: Answer, quotes: list[str]) -> CheckResult:
    cited = [normalise(c.quote) for c in answer.citations]
    missing = [q for q in quotes if not any(normalise(q) in quote for quote in cited)]
    if missing:
        shown = f"{len(answer.citations)} citations" if answer.citations else "no citations"
        return CheckResult(name="cites_quote", passed=False, why=f"no citation quotes {', '.join(repr(clip(m, 60)) for m in missing)} ({shown})")
    return CheckResult(name="cites_quote", passed=True, why=f"all {len(quotes)} quoted verbatim")


def check_regex(answer: Answer, patterns: list[str]) -> CheckResult:
    unmatched = [p for p in patterns if not re.search(p, answer.text, re.IGNORECASE)]
    if unmatched:
        return CheckResult(name="regex", passed=False, why="no match for " + ", ".join(f"/{p}/" for p in unmatched))
    return CheckResult(name="regex", passed=True, why=f"all {len(patterns)} patterns match")


def _what_instead(answer: Answer) -> str:
    if answer.escalation:
        return "escalated"
    if answer.notices:
        return f"{answer.notices[0].kind} notice"
    return "nothing said"


def clip(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def check_citations(answer: Answer, corpus: Corpus) -> CheckResult:
    """Every [n] has a citation and every quote (citations and conflict positions) is verbatim article text."""
    problems = citation_problems(answer, corpus)
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        return CheckResult(name="citations", passed=False, why=shown)
    quotes = len(answer.citations) + sum(len(c.positions) for c in answer.conflicts)
    return CheckResult(name="citations", passed=True, why=f"{quotes} quotes verbatim, every marker resolves")


def citation_problems(answer: Answer, corpus: Corpus) -> list[str]:
    numbers = {c.n for c in answer.citations}
    problems = [f"[{n}] has no citation" for n in dict.fromkeys(int(m) for m in MARKER.findall(answer.text)) if n not in numbers]
    for citation in answer.citations:
        problem = corpus.quote_problem(citation.source_id, citation.quote)
        if problem:
            problems.append(f"citation [{citation.n}]: {problem}")
    for conflict in answer.conflicts:
        for position in conflict.positions:
            problem = corpus.quote_problem(position.source_id, position.quote)
            if problem:
                problems.append(f"conflict {conflict.topic!r}: {problem}")
    return problems


def two_sided_conflicts(answer: Answer) -> list[Conflict]:
    """Disagreements that present at least two articles' positions; one side alone is not a disagreement."""
    return [c for c in answer.conflicts if len({p.source_id for p in c.positions}) >= 2]


def first_citation(answer: Answer) -> Citation | None:
    """The citation a reader meets first: the lowest number."""
    return min(answer.citations, key=lambda c: c.n, default=None)


# The expectation keys of a case and the check each one runs, in the order reports list them.
CHECKS = [
    ("sources_any", check_sources_any),
    ("contains", check_contains),
    ("not_contains", check_not_contains),
    ("escalate", check_escalate),
    ("conflict", check_conflict),
    ("out_of_scope", check_out_of_scope),
    ("lead_contains", check_lead_contains),
    ("lead_source", check_lead_source),
    ("body_not_contains", check_body_not_contains),
    ("says_not_covered", check_says_not_covered),
    ("max_words", check_max_words),
    ("cites_quote", check_cites_quote),
    ("regex", check_regex),
]
