"""Tuning the planner on held-out labelled questions (evals/tuning/rank_units.py), with the real bot."""

import pytest

from evals.tuning.rank_units import HELD_OUT, measure


def test_the_held_out_questions_rank_their_unit_and_the_bots_tuning_is_kept(real_bot, tmp_path):
    path = tmp_path / "asks.yaml"
    path.write_text(
        "version: 1\nunits:\n"
        "  - source_id: dack-complete-guide\n    starts: \"Keep in mind that you can\"\n"
        "    asks: [\"no foam roller at home, what else can i roll my hamstrings on?\"]\n"
        "  - source_id: pt-top-3-questions\n    starts: \"Monitor your pace.\"\n"
        "    asks: [\"how much should i up my weekly mileage by?\"]\n",
        encoding="utf-8",
    )
    before = real_bot.tuning
    (chosen, top1, top3, mrr, n), = measure(real_bot, path, {"ask_weight": [2.0]})
    assert chosen == {"ask_weight": 2.0} and n == 2 and top3 == 1.0 and top1 <= top3 and 0.5 <= mrr <= 1.0
    assert real_bot.snapshot.generator.tuning == before  # measuring leaves the bot as it was
    rows = measure(real_bot, path, {"ask_weight": [0.0, 2.0], "whole_weight": [0.7]})
    assert [r[0] for r in rows] == [{"ask_weight": 0.0, "whole_weight": 0.7}, {"ask_weight": 2.0, "whole_weight": 0.7}]


def test_a_stale_entry_or_an_unknown_field_is_named(real_bot, tmp_path):
    path = tmp_path / "asks.yaml"
    path.write_text("version: 1\nunits:\n  - source_id: dack-complete-guide\n    starts: \"No unit starts so\"\n    asks: [\"x?\"]\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="No unit starts so"):
        measure(real_bot, path, {"ask_weight": [2.0]})
    with pytest.raises(SystemExit, match="not tuning fields: nope"):
        measure(real_bot, HELD_OUT, {"nope": [1]})
