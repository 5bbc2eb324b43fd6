"""`python -m ingest`: validate the corpus and its rule files' quotes, then build or update the index.

Exit status 0 on success, 2 on a corpus or rules problem (printed one line each, index untouched), 1 when
the store cannot be read or written (one line naming the fix: --rebuild, a server to start, disk space).
"""

import argparse
import sys

from core.errors import CorpusError, HamstringBotError, RulesError
from core.settings import Settings
from ingest.clean import write_articles
from ingest.pipeline import run_ingest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="re-embed everything, even unchanged text")
    parser.add_argument("--from-raw", action="store_true", help="first regenerate corpus/articles/ from corpus/raw/ and corpus/sources.yaml")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        if args.from_raw:
            for path in write_articles(settings.corpus_dir):
                print(f"wrote {path}")
        summary = run_ingest(settings, rebuild=args.rebuild, progress=None if not args.quiet else False)
        print(summary.line())
    except (CorpusError, RulesError) as exc:
        print(f"ingest failed, index left as it was:\n{exc}", file=sys.stderr)
        return 2
    except HamstringBotError as exc:  # the store: damaged, unreachable, unwritable
        print(f"ingest failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ingest interrupted; the previous index is still the live one. Run it again to finish.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
