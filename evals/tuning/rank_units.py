"""How often the answer planner ranks first the unit a question was written for, over a grid of tuning values.

    python -m evals.tuning.rank_units '{"ask_weight": [1.5, 2.0], "whole_weight": [0.35, 0.7]}'

Each question of evals/tuning/unit_questions_heldout.yaml is asked alone; the unit it was written for should
score highest. Prints top-1, top-3 and mean reciprocal rank per combination. Retrieval runs once per question;
only the planner's scoring is repeated, so a grid of a dozen combinations takes about a minute.
"""

import argparse
import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np

from bot.chain import Bot, read, retrieve
from bot.generate import Request
from bot.tuning import Tuning
from core.errors import RulesError
from core.questions import check
from core.unit_questions import load_unit_questions

HELD_OUT = Path(__file__).with_name("unit_questions_heldout.yaml")


def labelled(bot: Bot, path: Path) -> list[tuple[Request, int]]:
    """(the planner's request for each question, the index of the unit it was written for)."""
    snap = bot.snapshot
    pairs = []
    for index, asks in enumerate(load_unit_questions(path, snap.generator.bank.units)):
        for text in asks:
            question = check(text, [], bot.settings)
            reading = read(snap, question)
            found = retrieve(snap, bot.embeddings, question, bot.settings, bot.tuning, reading)
            pairs.append((Request(question.text, found.query, found.vector, found.passages, reading), index))
    return pairs


def ranks(bot: Bot, pairs: list[tuple[Request, int]], tuning: Tuning) -> list[int]:
    """Where each labelled unit ranks among all units under `tuning` (1 = first); the bot's tuning is kept."""
    planner = bot.snapshot.generator
    kept, planner.tuning = planner.tuning, tuning
    try:
        out = []
        for request, unit in pairs:
            scores, _, _ = planner._scores(request)
            out.append(int(np.sum(scores > scores[unit])) + 1 if scores[unit] > -np.inf else len(scores))
        return out
    finally:
        planner.tuning = kept


def measure(bot: Bot, path: Path, grid: dict[str, list]) -> list[tuple[dict, float, float, float, int]]:
    """Per combination of the grid: (values, top-1, top-3, mean reciprocal rank, questions)."""
    unknown = set(grid) - {f.name for f in dataclasses.fields(Tuning)}
    if unknown:
        raise SystemExit(f"not tuning fields: {', '.join(sorted(unknown))} (see bot/tuning.py)")
    try:
        pairs = labelled(bot, path)
    except RulesError as exc:
        raise SystemExit(str(exc)) from None
    out = []
    for values in itertools.product(*grid.values()):
        chosen = dict(zip(grid, values))
        r = np.array(ranks(bot, pairs, dataclasses.replace(bot.tuning, **chosen)))
        out.append((chosen, float(np.mean(r == 1)), float(np.mean(r <= 3)), float(np.mean(1 / r)), len(r)))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("grid", help='JSON: tuning field → values, e.g. {"ask_weight": [1.5, 2.0]}')
    parser.add_argument("--questions", type=Path, default=HELD_OUT)
    args = parser.parse_args(argv)
    try:
        grid = json.loads(args.grid)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"the grid is not JSON ({exc}); write it like '{{\"ask_weight\": [1.5, 2.0]}}'") from None
    for chosen, top1, top3, mrr, n in measure(Bot.load(), args.questions, grid):
        print(f"{chosen}  top-1 {top1:.3f}  top-3 {top3:.3f}  MRR {mrr:.3f}  ({n} questions)", flush=True)


if __name__ == "__main__":
    main()
