"""Measure the red-flag semantic signal: where the threshold and margin sit between what must escalate and what must not.

`python -m evals.robustness.measure` loads all-MiniLM-L6-v2, scores the generated corpus and the question sets,
and prints the closest calls on each side of the bot's SEMANTIC_THRESHOLD / SEMANTIC_MARGIN, and the cost of
one check per question with the model loaded and its parts cached.
"""

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.guardrails.redflags import RedFlagRules, CachedEmbed
from core.embeddings import load_embeddings
from core.settings import PROJECT_ROOT, Settings
from evals.robustness.red_flags import generate

SETS = sorted((PROJECT_ROOT / "evals" / "sets").glob("*.yaml"))  # every set; cases without `escalate` are skipped


@dataclass(frozen=True)
class Conversation:
    turns: list[str]
    escalate: bool
    origin: str  # generated kind, or question set name


def conversations(sets: list[Path] = SETS) -> list[Conversation]:
    """The generated corpus, and every case of the question sets that says whether it escalates; for a
    case that must not escalate, each of its turns on its own as well."""
    found = [Conversation([p.text], p.escalate, p.kind) for p in generate()]
    for path in sets:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            escalate = (case.get("expect") or {}).get("escalate")
            if escalate is None:
                continue
            found.append(Conversation(case["turns"], escalate, path.stem))
            if not escalate and len(case["turns"]) > 1:
                found += [Conversation([turn], False, path.stem) for turn in case["turns"]]
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.robustness.measure", description=__doc__)
    parser.add_argument("--show", type=int, default=8, help="closest calls to print on each side")
    args = parser.parse_args(argv)
    rules = RedFlagRules.load()
    embed = CachedEmbed(load_embeddings(Settings()), size=100_000)  # the whole corpus stays cached
    cases = conversations()
    threshold, margin = rules.semantic_threshold, rules.semantic_margin
    # One batch for everything: a model call per conversation would take minutes.
    embed(list(dict.fromkeys(text for case in cases for text in rules.semantic_texts(case.turns))))

    must_not, may = [], []  # personal-status parts of conversations that must not / must escalate
    for case in cases:
        by_rules = rules.check(case.turns).escalate
        for text, flag_id, cosine, gap, status in rules.semantic_scores(case.turns, embed):
            if status == "personal":
                (may if case.escalate else must_not).append((cosine, gap, flag_id, text, case.origin, by_rules))

    def over(parts, t, m):
        return [p for p in parts if p[0] >= t and p[1] >= m]

    print(f"threshold {threshold}, margin {margin}")
    print(f"parts weighed: {len(must_not)} in conversations that must not escalate, {len(may)} in ones that must")
    wrong = over(must_not, threshold, margin)
    print(f"\nmust-not parts over both: {len(wrong)}")
    for p in sorted(wrong, reverse=True)[: args.show]:
        print(f"  {p[0]:.3f} {p[1]:+.3f} {p[2]:26} [{p[4]}] {p[3]}")
    passing_margin = sorted((p for p in must_not if p[1] >= margin), reverse=True)
    print(f"\nclosest must-not parts by cosine (margin ≥ {margin}):")
    for p in passing_margin[: args.show]:
        print(f"  {p[0]:.3f} {p[1]:+.3f} {p[2]:26} [{p[4]}] {p[3]}")
    passing_cos = sorted((p for p in must_not if p[0] >= threshold), key=lambda p: -p[1])
    print(f"\nclosest must-not parts by margin (cosine ≥ {threshold}):")
    for p in passing_cos[: args.show]:
        print(f"  {p[0]:.3f} {p[1]:+.3f} {p[2]:26} [{p[4]}] {p[3]}")

    caught = over(may, threshold, margin)
    only_semantic = [p for p in caught if not p[5]]
    positives = [c for c in cases if c.escalate]
    semantic_alone = sum(
        1 for c in positives
        if any(s == "personal" and cos >= threshold and g >= margin for _, _, cos, g, s in rules.semantic_scores(c.turns, embed))
    )
    print(f"\nconversations that must escalate: {len(positives)}; the semantic signal alone escalates {semantic_alone}"
          f" ({semantic_alone / len(positives):.1%}); parts it catches that the phrases miss: {len(only_semantic)}")
    for p in sorted(only_semantic, reverse=True)[: args.show]:
        print(f"  {p[0]:.3f} {p[1]:+.3f} {p[2]:26} [{p[4]}] {p[3]}")

    # The cost per question, as the chain pays it: the model loaded, the conversation's parts cached.
    timings = []
    for case in cases:
        rules.check(case.turns, embed)
        start = time.perf_counter()
        rules.check(case.turns, embed)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"\ncheck() with cached parts over {len(timings)} conversations: median {statistics.median(timings):.2f} ms,"
          f" p95 {p95:.2f} ms, max {timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()
