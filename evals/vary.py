"""Robustness variants: a new set whose cases reword each original mechanically and keep its expectations.

Kinds: a typo, lower casing, informal rewording from the reviewed phrase list (variants.yaml), and the question
split over two turns. Only the judged (last) turn changes. Everything is deterministic, so a set varies the same way twice.
"""

import argparse
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from evals.errors import EvalError
from evals.schema import Case, QuestionSet, load_set

KINDS = ("typo", "casing", "informal", "split")
PHRASES = Path(__file__).with_name("variants.yaml")
SPLIT_MIN_WORDS = 4  # a shorter question has no two halves a runner would send apart


@dataclass(frozen=True)
class Phrases:
    """The reviewed phrase list: openers, closers and (formal, informal) replacements."""

    openers: list[str]
    closers: list[str]
    replacements: list[tuple[str, str]]

    @classmethod
    def load(cls, path: Path) -> "Phrases":
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise EvalError(f"{path}: phrase list not found; pass --phrases FILE or restore evals/variants.yaml.") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise EvalError(f"{path}: cannot read the phrase list ({exc.__class__.__name__}); save it as UTF-8 YAML.") from None
        problems = []
        if not isinstance(raw, dict):
            raise EvalError(f"{path}: the phrase list is a mapping with openers, closers and replacements.")
        for key in ("openers", "closers"):
            if not isinstance(raw.get(key), list) or not raw[key] or not all(isinstance(x, str) and x.strip() for x in raw[key]):
                problems.append(f"{path}: {key}: a non-empty list of phrases")
        pairs = raw.get("replacements")
        if not isinstance(pairs, list) or not all(
            isinstance(p, dict) and isinstance(p.get("formal"), str) and isinstance(p.get("informal"), str) and p["formal"].strip()
            for p in pairs
        ):
            problems.append(f"{path}: replacements: a list of {{formal: ..., informal: ...}} pairs")
        if problems:
            raise EvalError("\n".join(problems))
        return cls(raw["openers"], raw["closers"], [(p["formal"], p["informal"]) for p in pairs])


def typo(text: str, seed: int) -> str:
    """Swap two neighbouring letters inside one of the longer words (the kind of slip a thumb makes).

    >>> typo("How long should I hold a hamstring stretch?", 0)
    'How long should I hold a hamsrting stretch?'
    """
    words = [(m.start(), m.group()) for m in re.finditer(r"[A-Za-z]{5,}", text)]
    if not words:
        return text
    longest = sorted(words, key=lambda w: -len(w[1]))[: 2]
    start, word = longest[seed % len(longest)]
    i = len(word) // 2
    swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return text[:start] + swapped + text[start + len(word):]


def casing(text: str) -> str:
    """All lower case, as typed on a phone with autocorrect off."""
    return text.lower()


def informal(text: str, phrases: Phrases, seed: int) -> str:
    """Reviewed replacements, then an opener or a closer from the list.

    >>> informal("Should I stretch my hamstring?", Phrases(["hey, "], [" thanks!"], [("hamstring", "hammy"), ("Should I", "should i")]), 0)
    'hey, should i stretch my hammy?'
    """
    out = text
    for formal, casual in phrases.replacements:
        out = re.sub(rf"(?<!\w){re.escape(formal)}(?!\w)", casual, out, flags=re.IGNORECASE)
    if seed % 2 == 0:
        opener = phrases.openers[seed // 2 % len(phrases.openers)]
        return opener + (out[0].lower() + out[1:] if out[:1].isupper() and out[1:2].islower() else out)
    return out + phrases.closers[seed // 2 % len(phrases.closers)]


def split(text: str) -> list[str] | None:
    """The question sent as two messages, broken at the word nearest the middle; None when it is too short.

    >>> split("How long should I hold a hamstring stretch?")
    ['How long should I', 'hold a hamstring stretch?']
    """
    words = text.split()
    if len(words) < SPLIT_MIN_WORDS:
        return None
    middle = len(words) // 2
    return [" ".join(words[:middle]), " ".join(words[middle:])]


def variants(case: Case, phrases: Phrases, kinds: tuple[str, ...] = KINDS) -> list[Case]:
    """The variants of one case that differ from it; each keeps its expectations, category, note and rubric."""
    seed = int(hashlib.sha256(case.id.encode()).hexdigest(), 16)
    *earlier, last = case.turns
    out = []
    for kind in kinds:
        if kind == "split":
            halves = split(last)
            turns = [*earlier, *halves] if halves else None
        else:
            changed = {"typo": lambda: typo(last, seed), "casing": lambda: casing(last),
                       "informal": lambda: informal(last, phrases, seed)}[kind]()
            turns = [*earlier, changed] if changed != last else None
        if turns is None:
            continue
        out.append(case.model_copy(update={
            "id": f"{case.id}--{kind}", "turns": turns, "variant_of": case.id,
            "tags": [*case.tags, "variant", f"variant-{kind}"],
        }))
    return out


def vary_set(qset: QuestionSet, phrases: Phrases, kinds: tuple[str, ...] = KINDS) -> QuestionSet:
    """A set holding each original followed by its variants, so they are run (and reported) side by side."""
    cases = []
    for case in qset.cases:
        if case.variant_of:  # already a variant: varying it again would only compound the changes
            continue
        cases += [case, *variants(case, phrases, kinds)]
    return QuestionSet(name=f"{qset.name}-variants", cases=cases)


FIELD_ORDER = ("id", "variant_of", "category", "tags", "turns", "expect", "note", "rubric")


def dump(qset: QuestionSet, source: Path) -> str:
    """The set as YAML in the order a reader expects (id first); unknown keys of the original are left out."""
    cases = []
    for case in qset.cases:
        raw = {name: getattr(case, name) for name in FIELD_ORDER if getattr(case, name) not in (None, [])}
        raw["expect"] = case.expect.model_dump(include=set(type(case.expect).model_fields), exclude_none=True)
        cases.append(raw)
    header = (f"# Generated by `python -m evals vary {source}`: each original case followed by its mechanical variants\n"
              "# (typo, casing, informal, split), which keep the original's expectations. Regenerate rather than edit.\n")
    return header + yaml.safe_dump({"name": qset.name, "cases": cases}, sort_keys=False, allow_unicode=True, width=120)


def command(args: argparse.Namespace) -> int:
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise EvalError(f"--kinds {args.kinds}: choose from {', '.join(KINDS)} (comma-separated).")
    qset, _ = load_set(args.set)
    varied = vary_set(qset, Phrases.load(args.phrases), kinds)
    # Default in the working directory: beside the source would put generated sets among the shipped ones.
    output = args.output or Path(f"{args.set.stem}-variants.yaml")
    output.write_text(dump(varied, args.set), encoding="utf-8")
    made = sum(1 for c in varied.cases if c.variant_of)
    print(f"wrote {made} variants of {len(qset.cases)} cases to {output}\n"
          f"run them with: python -m evals run {output} --report DIR   (report.html shows each original beside its variants)")
    return 0
