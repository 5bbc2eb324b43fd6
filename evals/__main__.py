"""Command line of the evaluation harness: `python -m evals run|compare|vary|grade …` (`--help` on each for its options).

Exit status: 0 when every threshold is met (or none was given), 1 when a threshold is missed (run) or a run
regressed (compare --fail-on-regression), 2 on a usage error.
"""

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from core.corpus import load_articles
from core.errors import HamstringBotError
from core.settings import Settings
from evals import compare as comparing
from evals import vary as varying
from evals.checks import Corpus
from evals.errors import EvalError, EvalSetError
from evals.exports import FORMATS, write_exports
from evals.grading import CSV_NAME, apply_grades, awaiting_human, read_grades, rubric_summary, write_rubric_csv
from evals.meta import collect
from evals.remote import RemoteBot
from evals.report import failed_cases, load_report, summary, write_report
from evals.results import Report
from evals.rubric_judge import Judge, JudgeSettings
from evals.runner import AskingBot, evaluate
from evals.schema import QuestionSet, check_sources, load_set, select
from evals.thresholds import load_thresholds

EXIT_OK, EXIT_THRESHOLDS, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except HamstringBotError as exc:
        # A mistake in a set, a missing index, a server that is down: the user needs the message, not a trace.
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


# ---- run -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    if args.repeat < 1:
        raise EvalError(f"--repeat must be 1 or more, got {args.repeat}.")
    formats = _formats(args.format)
    if formats and not args.report:
        raise EvalError(f"--format {','.join(formats)} writes into the report folder; add --report DIR.")
    loaded, warnings = _load_sets(args.sets, strict=args.strict)
    failed_keys = _failed_keys(args.failed_from) if args.failed_from else None
    sets = _select(loaded, args, failed_keys)
    bars = load_thresholds(args.thresholds) if args.thresholds else {}
    settings = Settings()
    corpus = Corpus.from_articles(load_articles(settings.articles_dir, settings.max_article_bytes))
    problems = []
    for qset in sets:
        try:
            check_sources(qset, corpus.ids, corpus.has_text)
        except EvalSetError as exc:
            problems.append(str(exc))
    if problems:
        raise EvalSetError("\n".join(problems))

    judge = _judge(args)
    bot, target, health = _connect(args, settings)
    meta = collect(settings, [s.path for s in sets if s.path], target, health)
    try:
        report = evaluate(bot, sets, corpus, target=target, repeat=args.repeat, bars=bars, progress=args.progress,
                          meta=meta, warnings=warnings, grader=judge)
    finally:
        if isinstance(bot, RemoteBot):
            bot.close()
    print(summary(report))
    if args.report:
        paths = write_report(report, args.report) + write_exports(report, args.report, formats)
        print(f"\nreport written: {', '.join(str(p) for p in paths)}")
    _offer_rubric_csv(report, args)
    return EXIT_OK if report.thresholds_passed else EXIT_THRESHOLDS


def grade(args: argparse.Namespace) -> int:
    """Read a filled-in rubric CSV back into the report it came from, and rewrite that report."""
    report = load_report(args.report)
    folder = args.report if args.report.is_dir() else args.report.parent
    grades, blank = read_grades(args.csv, report)
    if not grades:
        raise EvalError(f"{args.csv}: no row has a grade ({blank} left blank); fill in the grade column with 0, 1 or 2.")
    report = apply_grades(report, grades)
    paths = write_report(report, folder)
    print(f"{len(grades)} grade(s) read from {args.csv}; {blank} row(s) left blank.")
    print("\n".join(rubric_summary(report)).lstrip("\n"))
    print(f"\nreport updated: {', '.join(str(p) for p in paths)}")
    return EXIT_OK


def _judge(args: argparse.Namespace) -> Judge | None:
    """The judge from HAMSTRING_JUDGE_* settings, with the --judge-* flags taking precedence; None without a URL."""
    flags = {"url": args.judge_url, "model": args.judge_model, "timeout": args.judge_timeout}
    try:
        judge_settings = JudgeSettings(**{name: value for name, value in flags.items() if value is not None})
    except ValidationError as exc:  # e.g. a timeout of 0, or a mistyped HAMSTRING_JUDGE_RESPONSE_FORMAT
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise EvalError(f"judge settings: {problems}; see README 'Rubric grading' for the HAMSTRING_JUDGE_* settings.") from None
    judge = Judge.from_settings(judge_settings)
    if judge is not None:
        print(f"rubrics graded by the judge {judge.label}", file=sys.stderr)
    return judge


def _offer_rubric_csv(report: Report, args: argparse.Namespace) -> None:
    """Rubric cases no one graded go into a CSV for a human (--rubric-csv, or the report folder)."""
    waiting = awaiting_human(report)
    if not waiting:
        return
    path = args.rubric_csv or (args.report / CSV_NAME if args.report else None)
    if path is None:
        print(f"\nrubric: {len(waiting)} case run(s) need a human; add --report DIR (or --rubric-csv PATH) for a CSV to fill in.")
        return
    write_rubric_csv(report, path)
    then = f"python -m evals grade {args.report} {path}" if args.report else "re-run with --report DIR to keep a report the CSV can be read back into"
    print(f"\nrubric: {len(waiting)} case run(s) need a human: fill in the grade column (0, 1, 2) of {path}, then: {then}")


def _load_sets(paths: list[Path], strict: bool = False) -> tuple[list[QuestionSet], list[str]]:
    """Every set is validated before any question is asked, and every file's problems are reported together."""
    sets, problems, warnings = [], [], []
    for path in paths:
        try:
            qset, found = load_set(path, strict=strict)
        except EvalSetError as exc:
            problems.append(str(exc))
            continue
        warnings += found
        sets.append(qset)
    if problems:
        raise EvalSetError("\n".join(problems))
    names = [s.name for s in sets]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        # Results are keyed set/case, so two sets with one name would merge their cases in the report.
        raise EvalSetError(f"set name(s) {', '.join(duplicated)} used by more than one file; give each set its own name.")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return sets, warnings


def _failed_keys(path: Path) -> set[str]:
    """'set/case' of every case that failed in any run of an earlier report."""
    return set(failed_cases(load_report(path)))


def _select(sets: list[QuestionSet], args: argparse.Namespace, failed: set[str] | None) -> list[QuestionSet]:
    chosen = [select(s, tags=args.tag, categories=args.category, ids=args.case) for s in sets]
    if failed is None:
        return chosen
    # A set with no failure last time is simply not re-run; only when nothing at all is left is it an error.
    kept = [s.model_copy(update={"cases": [c for c in s.cases if f"{s.name}/{c.id}" in failed]}) for s in chosen]
    kept = [s for s in kept if s.cases]
    if not kept:
        raise EvalSetError(f"{args.failed_from}: no case of these sets failed there (it lists {len(failed)} failures); nothing to re-run.")
    return kept


def _formats(values: list[str]) -> list[str]:
    """--format csv,junit --format jsonl -> ['csv', 'junit', 'jsonl']."""
    chosen = [f.strip() for value in values for f in value.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise EvalError(f"--format {', '.join(unknown)}: unknown; choose from {', '.join(FORMATS)} (several: --format csv,junit).")
    return list(dict.fromkeys(chosen))


def _connect(args: argparse.Namespace, settings: Settings) -> tuple[AskingBot, str, dict | None]:
    if args.url:
        remote = RemoteBot(args.url, timeout=args.timeout)
        health = remote.check_health()
        return remote, remote.url, health
    try:
        from bot import Bot  # imported here so --url mode works without the retrieval stack installed
    except ImportError as exc:
        raise EvalError(f"cannot load the bot in-process ({exc}); use --url to evaluate a running server.") from None
    return Bot.load(settings), "in-process", None


# ---- the subcommands: each adds its parser and sets `handler`; a new one is one more function in COMMANDS ---


def _add_run(commands) -> None:
    run_cmd = commands.add_parser("run", help="run question sets and print (and optionally write) a report")
    run_cmd.set_defaults(handler=run)
    run_cmd.add_argument("sets", nargs="+", type=Path, metavar="SET.yaml", help="question set files")
    run_cmd.add_argument("--url", help="evaluate a running server (http://host:port) instead of the in-process bot")
    run_cmd.add_argument("--repeat", type=int, default=1, metavar="N", help="ask every case N times and check verdicts agree")
    run_cmd.add_argument("--report", type=Path, metavar="DIR",
                         help="write report.json, report.md, report.html and charts here")
    run_cmd.add_argument("--format", action="append", default=[], metavar="FMT",
                         help=f"also write one row per case run as {'|'.join(FORMATS)} into --report (repeatable, or comma-separated)")
    run_cmd.add_argument("--thresholds", type=Path, metavar="FILE", help="YAML of metric bars; a miss makes the exit status 1")
    run_cmd.add_argument("--tag", action="append", default=[], metavar="TAG", help="only cases with this tag (repeatable: all of them)")
    run_cmd.add_argument("--category", action="append", default=[], metavar="NAME", help="only cases of this category (repeatable: any of them)")
    run_cmd.add_argument("--case", action="append", default=[], metavar="ID", help="only this case (repeatable)")
    run_cmd.add_argument("--failed-from", type=Path, metavar="REPORT",
                         help="only the cases that failed in this earlier report (its folder or report.json)")
    run_cmd.add_argument("--strict", action="store_true", help="unknown keys in a set are errors, not warnings")
    run_cmd.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds to wait for each answer with --url")
    run_cmd.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                         help="force the progress bar on or off (default: on when stderr is a terminal)")
    judging = run_cmd.add_argument_group(
        "rubric grading", "grade each case's rubric with a judge model at an OpenAI-compatible endpoint; the key is read from "
        "HAMSTRING_JUDGE_API_KEY only (never a flag: it would show in the shell history). Without a judge, rubrics need a human.")
    judging.add_argument("--judge-url", metavar="URL", help="base URL of the endpoint, e.g. http://127.0.0.1:8080/v1 (HAMSTRING_JUDGE_URL)")
    judging.add_argument("--judge-model", metavar="NAME", help="model name sent to it (HAMSTRING_JUDGE_MODEL)")
    judging.add_argument("--judge-timeout", type=float, metavar="S", help="seconds to wait for each grade (HAMSTRING_JUDGE_TIMEOUT, default 60)")
    judging.add_argument("--rubric-csv", type=Path, metavar="PATH",
                         help=f"where to write the rubric cases that need a human (default: {CSV_NAME} in the --report folder)")


def _add_compare(commands) -> None:
    cmd = commands.add_parser("compare", help="compare two reports: flipped cases, metric changes beyond the noise")
    cmd.set_defaults(handler=comparing.command)
    cmd.add_argument("before", type=Path, metavar="A", help="the earlier report (its folder or report.json)")
    cmd.add_argument("after", type=Path, metavar="B", help="the later report (its folder or report.json)")
    cmd.add_argument("--html", type=Path, metavar="FILE", help="also write a side-by-side HTML view here")
    cmd.add_argument("--fail-on-regression", action="store_true",
                     help="exit 1 when a case that passed now fails or a metric got worse beyond the noise")


def _add_vary(commands) -> None:
    cmd = commands.add_parser("vary", help="write a set of mechanical variants (typos, casing, informal, split) of a set")
    cmd.set_defaults(handler=varying.command)
    cmd.add_argument("set", type=Path, metavar="SET.yaml", help="the question set to vary")
    cmd.add_argument("-o", "--output", type=Path, metavar="OUT.yaml", help="where to write (default: SET-variants.yaml in the working directory)")
    cmd.add_argument("--kinds", default=",".join(varying.KINDS), metavar="K,K",
                     help=f"which variants, comma-separated (default: all of {','.join(varying.KINDS)})")
    cmd.add_argument("--phrases", type=Path, default=varying.PHRASES, metavar="FILE", help="the reviewed phrase list for informal rewording")


def _add_grade(commands) -> None:
    grade_cmd = commands.add_parser("grade", help="read a filled-in rubric CSV back into a report")
    grade_cmd.set_defaults(handler=grade)
    grade_cmd.add_argument("report", type=Path, metavar="REPORT", help="the report folder (or its report.json)")
    grade_cmd.add_argument("csv", type=Path, metavar="CSV", help="the rubric CSV with the grade column filled in (0, 1 or 2)")


COMMANDS = [_add_run, _add_compare, _add_vary, _add_grade]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hamstring-evals", description="Run question sets against hamstring-bot and report.")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
