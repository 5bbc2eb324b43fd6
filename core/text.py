"""Text mechanics shared by ingest, retrieval and guardrails: tokens, stems, stopwords, sentences, list markers.

One place for each rule, so that the index, the retriever and the guardrails read text the same way.
"""

import re
import unicodedata

import pysbd

# ---- tokens and stems (retrieval, answer scoring) ---------------------------------------------------

# "before", "after" and "during" are not among them: "stretch before or after a run?" turns on them.
STOPWORDS = frozenset(
    """a about above again against all also am an and any are as at be because been being below
    between both but by can could did do does doing don down each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just let me more most my myself no
    nor not now of off on once only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves get got im ive id ill
    youre youd youve youll theyre theyd shes hes weve wed itll thatll thats theres
    dont doesnt cant isnt whats wat thing things really much many one ones way lot lots please tell know want anything""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")
_LETTERS = re.compile(r"[a-z]+")
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}[A-Za-z]?\b\.?")


def words(text: str) -> list[str]:
    """Lowercased word tokens; apostrophes folded ("don’t" → "dont"), dotted acronyms joined ("R.I.C.E" → "rice").

    >>> words("Don’t skip R.I.C.E. after 10k!")
    ['dont', 'skip', 'rice', 'after', '10k']
    """
    text = _DOTTED.sub(lambda m: m.group().replace(".", ""), text)
    return _TOKEN.findall(text.lower().replace("’", "").replace("'", ""))


def letter_words(text: str) -> list[str]:
    """Runs of letters only, lower-cased: the words a vocabulary check compares ("10k" gives "k").

    >>> letter_words("Hamstring vs. 10K")
    ['hamstring', 'vs', 'k']
    """
    return _LETTERS.findall(text.lower())


def stem(word: str) -> str:
    """A deliberately light stemmer: enough that "stretches"/"stretching" meet "stretch".

    >>> [stem(w) for w in ("stretches", "stretching", "overstriding", "overstride", "strengthening", "strength", "tightens")]
    ['stretch', 'stretch', 'overstrid', 'overstrid', 'strength', 'strength', 'tight']
    """
    for suffix in ("ings", "ing", "ions", "ion", "edly", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word in _MADE_WITH_EN:
        word = word[:-2]  # "strengthening" meets "strength", "tightens" meets "tight"
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


# verbs made from a word with "-en": what they do is what the word names
_MADE_WITH_EN = frozenset("strengthen lengthen tighten loosen weaken shorten soften harden stiffen".split())


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stopwords): BM25's tokens, and the basis of overlap checks.

    >>> content_terms("How do I stretch my hamstrings?")
    ['stretch', 'hamstr']
    """
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


# ---- rule matching (red flags, disagreements) -------------------------------------------------------

APOSTROPHES = re.compile(r"['’‘`´]")
_INNER_HYPHEN = re.compile(r"(?<=\w)[-‐‑–](?=\w)")


def rule_text(text: str) -> str:
    """How reviewed rule files read a message: lower-case, apostrophes dropped, inner hyphens as spaces,
    one space between words (line breaks kept, they end a clause).

    >>> rule_text("Can't  bear-weight\\nDON’T")
    'cant bear weight\\ndont'
    """
    text = _INNER_HYPHEN.sub(" ", APOSTROPHES.sub("", text.lower()))
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


# ---- lists and sentences ----------------------------------------------------------------------------

# Words that point back at something said before ("what does that stand for?", "how do I prevent it?").
POINTS_BACK = frozenset("it this that these those they them".split())

# A sentence opening with one of these leans on the one before it, so it never starts a quote or a unit.
# So does one whose subject is such a word after a short opening ("Early on, it may…", "As it progresses, …").
LEANS_BACK = re.compile(
    r"^(?:(?:It|It’s|This|That|These|Those|They|Such|He|She|Doing so|However|But)\b"
    r"|(?:[A-Z][a-z]+(?: [a-z]+){0,2}, |As )(?:it|it’s|its|this|these|those|they|their)\b"
    # "If your hamstrings are too weak to compensate, this pelvic tilt causes…": the thing named was before
    r"|(?:If|When|Once|Because|Since|While|Unless) [^,.]{0,100}, (?:this|these|those|that) (?!(?:can|may|will|is|are|should|could|would|might|helps?|means?)\b)[a-z]+"
    # "If this is not possible based on where you live…", "When that happens…"
    r"|(?:If|When|Once|Unless|Until|While) (?:this|that|these|those|so)\b"
    # "Tight hip flexors can also add to this effect."
    r"|[A-Z][^,.]{0,40}\balso\b[^,.]{0,30}\b(?:this|these|those) [a-z]+)"
)
# A sentence turning the one before it ("… rarely due to them being too tight. Instead, they are typically
# over-stretched…", "… probably won't aggravate it. However, running will."): the two are one claim, so a quote
# never ends between them.
TURNS_BACK = re.compile(r"^(?:Instead|However),")
# A sentence in the author's own voice ("it didn't work for me", "In my case, …"), outside quotation marks
# ("grade I" is a grade, not the author).
_FIRST_PERSON = re.compile(r"(?<!grade )(?<!Grade )(?<!from )(?<!type )\bI\b(?![.-])(?! to I)|\b(?:I’m|I'm|I’ve|I've|I’d|I'd|I’ll|I'll|me|my|mine|myself)\b")
_QUOTED = re.compile(r"[“\"][^”\"]*[”\"]")


def tells_own_experience(sentence: str) -> bool:
    """Is the sentence the author's own experience rather than advice?

    >>> tells_own_experience("This may not work for everyone; it didn’t work for me."), tells_own_experience("A grade I strain is mild.")
    (True, False)
    >>> tells_own_experience("Strains are graded from I to III."), tells_own_experience("In my case, it was a massage therapist.")
    (False, True)
    >>> tells_own_experience("“I feel it when I sprint,” says Dr. Rue.")
    False
    """
    return bool(_FIRST_PERSON.search(_QUOTED.sub(" ", sentence)))


# These continue a sequence ("There are four phases… First, … Next, …").
CONTINUES = re.compile(r"^(First|Second|Third|Fourth|Next|Then|Finally|Lastly)\b")
# Sentences about the article itself ("In this article, I’ll share…") introduce; they don't answer.
ABOUT_THE_ARTICLE = re.compile(r"\b(in this article|this guide|here is my article|I’ll dive into|I'll dive into)\b", re.I)

# The clean articles mark list items with "- " or "1. " at the start of a line.
LIST_MARKER = re.compile(r"^(?:[-*]|\d+\.)\s+")

_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in text[start:end], trimmed of surrounding white space.

    >>> body = "Rest first. Then walk."
    >>> [body[s:e] for s, e in sentence_spans(body)]
    ['Rest first.', 'Then walk.']
    """
    end = len(text) if end is None else end
    spans = []
    for span in _segmenter.segment(text[start:end]):
        s, e = start + span.start, start + span.end
        while e > s and text[e - 1].isspace():  # pysbd spans include trailing spaces; a quote should not
            e -= 1
        while s < e and text[s].isspace():
            s += 1
        if e > s:
            spans.append((s, e))
    return spans


# ---- what people type -------------------------------------------------------------------------------

_MESSAGE_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def message_sentences(text: str) -> list[str]:
    """A runner's message cut at ".", "!" and "?" (never empty: an unpunctuated message is one sentence).

    >>> message_sentences("still twinges on stairs. does that matter?")
    ['still twinges on stairs.', 'does that matter?']
    """
    return _MESSAGE_SENTENCE_END.split(text.strip())

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028\u2029\ufeff]")


def clean_text(text: str) -> str:
    """Drop control, invisible and unpaired-surrogate characters; one space between words.

    >>> clean_text("Should I\\x00 stretch\\u200b  it?\\n")
    'Should I stretch it?'
    """
    text = unicodedata.normalize("NFC", _INVISIBLE.sub(" ", text))
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)
    return " ".join(text.split())


# ---- typos --------------------------------------------------------------------------------------------

SHORTEST_TYPO = 5  # below this, one edit turns one real word into another ("shoe" ~ "show")
SHORTEST_SUBSTITUTION = 8  # "sprain" is not a typo of "strain", but "hamstrung" may be of "hamstring"


def is_typo_of_any(word: str, vocabulary: set[str] | frozenset[str]) -> bool:
    """Is `word` one slip away from a word of `vocabulary`?

    >>> is_typo_of_any("strenghten", {"strengthen"}), is_typo_of_any("sprain", {"strain"})
    (True, False)
    """
    return typo_of(word, vocabulary) is not None


def typo_of(word: str, vocabulary: set[str] | frozenset[str]) -> str | None:
    """The word of `vocabulary` that `word` is one slip away from (first alphabetically), or None."""
    if len(word) < SHORTEST_TYPO:
        return None
    # a typo rarely changes the first letter, and one edit changes the length by at most one
    near = [k for k in vocabulary if k[:1] == word[:1] and abs(len(k) - len(word)) <= 1 and one_edit_apart(word, k)]
    return min(near) if near else None


def one_edit_apart(typed: str, known: str) -> bool:
    """One dropped, added or swapped-over letter; a changed letter only in longer words."""
    if len(typed) == len(known):
        differ = [i for i, (a, b) in enumerate(zip(typed, known)) if a != b]
        if len(differ) == 1:
            return len(typed) >= SHORTEST_SUBSTITUTION
        return (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and typed[differ[0]] == known[differ[1]]
            and typed[differ[1]] == known[differ[0]]
        )
    shorter, longer = sorted((typed, known), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
