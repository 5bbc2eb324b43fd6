"""Evaluation harness: question sets (YAML) are played against the bot and judged into a report.

`python -m evals run|compare|vary` is the entry point (evals/__main__.py); the names below are the API for scripts and tests.
"""

# evals.report is not re-exported: importing the package (e.g. for evals.bench) should not pull in matplotlib.
from evals.checks import Corpus, judge
from evals.metrics import compute
from evals.runner import evaluate, run_case
from evals.schema import Case, Expect, QuestionSet, load_set

__all__ = ["Case", "Corpus", "Expect", "QuestionSet", "compute", "evaluate", "judge", "load_set", "run_case"]
