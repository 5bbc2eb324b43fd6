"""Assembling an Answer from what the chain decided: numbered citations, the parts, the Markdown text.

Everything quoted is verbatim article text; the only words of our own are the reviewed notices.
"""

from dataclasses import dataclass, field

from bot.generate import Draft
from bot.guardrails.redflags import RedFlagRules, RedFlagVerdict
from core.corpus import sections
from core.markdown import REMINDER, markdown
from core.text import content_terms
from core.types import Answer, Article, Citation, Conflict, ConflictPosition, Notice, Part

MAX_EVIDENCE = 3  # article sentences cited for a red flag: enough to show the source, not a wall


@dataclass
class CitationBook:
    """Hands out [n] numbers; quoting the same span twice reuses its number."""

    articles: dict[str, Article]
    citations: list[Citation] = field(default_factory=list)

    def cite(self, source_id: str, quote: str, start: int | None = None) -> int:
        """The quote's number; `start` is where it was cut from (else its first place in the article)."""
        for c in self.citations:
            if c.source_id == source_id and c.quote == quote:
                return c.n
        article = self.articles[source_id]
        if start is None or article.body[start : start + len(quote)] != quote:
            start = article.body.find(quote)
        n = len(self.citations) + 1
        self.citations.append(
            Citation(
                n=n, source_id=source_id, title=article.title, section=section_of(article, start), quote=quote,
                start=start if start >= 0 else None, end=start + len(quote) if start >= 0 else None,
            )
        )
        return n

    def part(self, source_id: str, quote: str, start: int | None = None) -> Part:
        n = self.cite(source_id, quote, start)
        return Part(text=quote, citations=[n], topic=_unnamed_topic(self.citations[n - 1].section, quote))


# A section's top heading names what it is about when it is short ("Hamstring Strains", "Proximal Hamstring
# Tendinopathy"), not a sentence or a question ("How to Take Care Of Your Hamstrings Pain in Runners").
TOPIC_HEADING_WORDS = 4
SUBJECT_TERMS = frozenset(content_terms("hamstring hamstrings"))  # what every heading shares names no topic


def _unnamed_topic(section: str | None, quote: str) -> str | None:
    """The top heading above a quote, when it names a topic the quote never names itself: "The main symptom is
    usually deep, localised pain…" is about proximal hamstring tendinopathy only by its heading.

    >>> _unnamed_topic("Proximal Hamstring Tendinopathy › Symptoms", "The main symptom is deep pain.")
    'Proximal Hamstring Tendinopathy'
    >>> _unnamed_topic("Proximal Hamstring Tendinopathy › What It Is", "Proximal hamstring tendinopathy is common.")
    >>> _unnamed_topic("How to Take Care Of Your Hamstrings Pain in Runners › Stretching Your Hamstrings", "Hold it.")
    """
    if not section or " › " not in section:
        return None
    top = section.split(" › ")[0]
    named = set(content_terms(top)) - SUBJECT_TERMS
    if len(top.split()) > TOPIC_HEADING_WORDS or not named or named & set(content_terms(quote)):
        return None
    return top


def section_of(article: Article, at: int) -> str | None:
    """The heading of the section holding character `at` of the article's body (None before any, or at -1)."""
    for s in sections(article.body):
        if s.start <= at < s.end:
            return s.heading
    return None


def declined(text: str) -> Answer:
    return Answer(text=text, out_of_scope=True, notices=[Notice(kind="declined", text=text)])


def small_talk(text: str) -> Answer:
    """A greeting or thanks gets one friendly line, not an answer."""
    return Answer(text=text, notices=[Notice(kind="small-talk", text=text)])


def escalated(articles: dict[str, Article], rules: RedFlagRules, verdict: RedFlagVerdict, notices: list[Notice] = ()) -> Answer:
    """The notice, then only the vetted article sentences about getting assessed: no retrieved sentence
    is said here, since any of them could read as permission to carry on."""
    book = CitationBook(articles)
    escalation = rules.escalation(verdict)
    escalation.evidence = [book.part(s, q) for s, q in rules.evidence_for(verdict)[:MAX_EVIDENCE]]
    return _finish(Answer(text="", escalation=escalation, reminder=REMINDER, notices=list(notices)), book)


def answered(
    articles: dict[str, Article],
    draft: Draft,
    rules: RedFlagRules,
    verdict: RedFlagVerdict,
    conflicts: list[Conflict],
    nothing_found: str,
    notices: list[Notice] = (),
) -> Answer:
    """Notices that frame the answer, the lead, supporting quotes, a note on red flags asked about, and the
    disagreements, all cited."""
    book = CitationBook(articles)
    answer = Answer(text="", reminder=REMINDER, notices=list(notices))
    # A question about when to get assessed is answered by the reviewed evidence, first; a question about a
    # symptom gets a note after the answer.
    about_assessment = bool(verdict.informational) and rules.asks_when_to_get_assessed(verdict)
    if about_assessment:
        cited = [book.cite(s, q) for s, q in rules.evidence_for(verdict)[:MAX_EVIDENCE]]
        answer.notices.append(Notice(kind="when-to-get-assessed", text=" ".join(rules.info_lines(verdict)), citations=cited))
    if draft.experience:
        # only as the author's own: "The articles don't give a general number for that." then "One author's own
        # experience, not advice: “I was seeing her three times a week…”"
        framing, told = draft.experience
        answer.notices.append(Notice(
            kind="own-experience", text=" ".join([framing, *(f"“{q.text}”" for q in told)]), citations=[book.cite(q.source_id, q.text, q.start) for q in told],
        ))
    if draft.lead:
        answer.lead = book.part(draft.lead.source_id, draft.lead.text, draft.lead.start)
        answer.items = [] if about_assessment else [book.part(q.source_id, q.text, q.start) for q in draft.support]
        shown = answer.lead.topic
        for item in answer.items:  # a topic is named once, where it starts
            if item.topic == shown:
                item.topic = None
            shown = item.topic or shown
    elif not about_assessment:
        answer.notices.append(Notice(kind="nothing-found", text=nothing_found))
    if verdict.informational and not about_assessment:
        cited = [book.cite(s, q) for s, q in rules.evidence_for(verdict)[:MAX_EVIDENCE]]
        answer.notices.append(Notice(kind="red-flag-info", text=" ".join(rules.info_lines(verdict)), citations=cited))
    answer.conflicts = [
        c.model_copy(update={"positions": [_cited(p, book) for p in c.positions]}) for c in conflicts
    ]
    return _finish(answer, book)


def _cited(position: ConflictPosition, book: CitationBook) -> ConflictPosition:
    return position.model_copy(update={"n": book.cite(position.source_id, position.quote)})


def _finish(answer: Answer, book: CitationBook) -> Answer:
    answer.citations = book.citations
    answer.text = markdown(answer)
    return answer
