"""Generate the red-flag robustness corpus: the templates of red_flags.yaml filled with its slot entries.

Deterministic (no randomness): `python -m evals.robustness.red_flags [--out FILE.jsonl]` prints counts per kind.
"""

import argparse
import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

DATA_PATH = Path(__file__).with_name("red_flags.yaml")
KINDS = ("positive", "negated", "hypothetical", "resolved", "kept_going", "ordinary")
CONTROL_KINDS = KINDS[1:]
DEFAULT_CAP = 100  # a template without `cap` still cannot blow up the corpus
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")
_GOLDEN = (math.sqrt(5) - 1) / 2


@dataclass(frozen=True)
class Phrase:
    text: str
    escalate: bool
    kind: str  # "positive" | "negated" | "hypothetical" | "resolved" | "kept_going" | "ordinary"
    template_id: str
    semantic_only: bool = False  # worded so that only the semantic signal is expected to recognise it


def generate(path: Path | str | None = None) -> list[Phrase]:
    """Every template of the file expanded, positives first (each typo variant right after its original)."""
    data = yaml.safe_load(Path(path or DATA_PATH).read_text(encoding="utf-8"))
    slots = dict(data["slots"])
    prepositions = [preposition for place in data["places"] for preposition in place["prepositions"]]
    # YAML reads unquoted on/off/yes/no as booleans; a sentence with "True" in it would test nothing useful.
    odd = [entry for entries in [*slots.values(), prepositions] for entry in entries if not isinstance(entry, str)]
    if odd:
        raise ValueError(f"{path or DATA_PATH}: slot entries and prepositions must be text; quote these: {odd}")
    slots["place"] = [f"{preposition} {p['location']}" for p in data["places"] for preposition in p["prepositions"]]
    typos = data["typos"]
    phrases: list[Phrase] = []
    seen: set[str] = set()

    def add(text: str, kind: str, template: dict, suffix: str = "") -> None:
        if text.lower() not in seen:  # two templates may meet on the same sentence; test it once
            seen.add(text.lower())
            phrases.append(Phrase(text, kind == "positive", kind, template["id"] + suffix, template.get("semantic_only", False)))

    n_positive = 0
    for kind in KINDS:
        for template in data["templates"][kind]:
            for text in _expand(template, slots, data["persons"]):
                add(text, kind, template)
                if kind != "positive":
                    continue
                # Typos only on positives: a misspelt control is no harder to leave alone.
                if n_positive % typos["every"] == 0:
                    rule = typos["rules"][(n_positive // typos["every"]) % len(typos["rules"])]
                    typo = _typo(text, rule, set(typos["words"]), n_positive)
                    if typo:
                        add(typo, kind, template, f"+{rule}")
                n_positive += 1
    return phrases


def _expand(template: dict, slots: dict[str, list[str]], persons: dict[str, list[dict]]) -> list[str]:
    """`cap` sentences of the template, spread over all combinations of its slots and persons."""
    group = persons[template.get("persons", "reporters")]
    person_fields = set(group[0])
    names = list(dict.fromkeys(_PLACEHOLDER.findall(template["text"])))
    unknown = [name for name in names if name not in slots and name not in person_fields]
    if unknown:
        raise ValueError(f"template {template['id']}: no slot or person field named {unknown}")
    slot_names = [name for name in names if name in slots]
    axes = [slots[name] for name in slot_names]
    # Only templates that mention a person vary over persons; the others would just repeat themselves.
    uses_person = any(name in person_fields for name in names) or any(
        _PLACEHOLDER.search(entry) for axis in axes for entry in axis
    )
    axes.append(group if uses_person else [{}])

    texts = []
    for index in _spread(math.prod(len(axis) for axis in axes), template.get("cap", DEFAULT_CAP)):
        *entries, person = _pick(index, axes)
        values = dict(zip(slot_names, entries))
        text = _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template["text"])
        text = _PLACEHOLDER.sub(lambda m: person[m[1]], text)
        texts.append(_SENTENCE_START.sub(lambda m: m[1] + m[2].upper(), " ".join(text.split())))
    return texts


def _spread(total: int, cap: int) -> list[int]:
    """`cap` distinct combination indexes out of `total`, by a fixed stride through them.

    The stride is coprime with the total (so no index repeats) and near the golden ratio of it, which keeps
    every slot, slow or fast-varying, moving through all its entries; a stride of total // cap can keep
    landing on the same few entries of a middle slot.
    """
    if total <= cap:
        return list(range(total))
    step = round(total * _GOLDEN)
    while math.gcd(step, total) != 1:
        step += 1
    return [(i * step) % total for i in range(cap)]


def _pick(index: int, axes: list[list]) -> list:
    """The index-th element of itertools.product(*axes), without building the product."""
    picks = []
    for axis in reversed(axes):
        index, i = divmod(index, len(axis))
        picks.append(axis[i])
    return picks[::-1]


def _typo(text: str, rule: str, words: set[str], n: int) -> str | None:
    """The text with one listed word misspelt by `rule` (drop or swap an inner letter), or None."""
    hits = [m for m in re.finditer(r"[A-Za-z]+", text) if m[0].lower() in words and len(m[0]) >= 4]
    if not hits:
        return None
    hit = hits[n % len(hits)]
    word = hit[0]
    if rule == "drop" and len(word) < 5:
        rule = "swap"  # "knee" less a letter is "kee", "numb" is "nub": no longer the word to a reader either
    inner = range(1, len(word) - 1) if rule == "drop" else range(1, len(word) - 2)
    for k in (inner[(n + j) % len(inner)] for j in range(len(inner))):
        if rule == "drop":
            typo = word[:k] + word[k + 1 :]
        elif rule == "swap":
            typo = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
        else:
            raise ValueError(f"unknown typo rule {rule!r}; known: drop, swap")
        if typo != word:  # swapping the two p's of "ripping" changes nothing
            return text[: hit.start()] + typo + text[hit.end() :]
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.robustness.red_flags", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_PATH, help="templates file (default: %(default)s)")
    parser.add_argument("--out", type=Path, help="write the cases as JSON lines to this file")
    args = parser.parse_args(argv)
    phrases = generate(args.data)
    counts = Counter(p.kind for p in phrases)
    for kind in KINDS:
        print(f"{kind:13} {counts[kind]}")
    print(f"{'controls':13} {sum(counts[k] for k in CONTROL_KINDS)}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8") as out:
            for phrase in phrases:
                out.write(json.dumps(asdict(phrase), ensure_ascii=False) + "\n")
        print(f"wrote {len(phrases)} cases to {args.out}")


if __name__ == "__main__":
    main()
