"""`python -m ingest`: validate the corpus and its registries, then build or update the index.

Exit status 0 on success, 2 on a corpus or rules problem (printed one line each, index untouched).
"""

import argparse
import sys

from bot.errors import HamstringBotError
from bot.settings import Settings


def corpus_checks(settings: Settings):
    """The registries quote the articles; ingest refuses a corpus they no longer match."""
    from bot.guardrails.conflicts import ConflictRegistry
    from bot.guardrails.redflags import RedFlagRules

    registry = ConflictRegistry.load(settings.corpus_dir / "conflicts.yaml")
    return [registry.verify, RedFlagRules.load().verify]


def print_candidates(settings: Settings) -> None:
    """Likely disagreements the registry does not hold yet, for a curator to review."""
    from bot.guardrails.conflicts import ConflictRegistry, candidate_disagreements
    from ingest.corpus import load_articles

    registry = ConflictRegistry.load(settings.corpus_dir / "conflicts.yaml")
    candidates = candidate_disagreements(load_articles(settings.articles_dir, settings.max_article_bytes), registry=registry)
    if candidates:
        print(f"{len(candidates)} candidate disagreement(s) not in corpus/conflicts.yaml — review them:")
        for c in candidates:
            print(f"  - {c}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="re-embed everything, even unchanged text")
    parser.add_argument("--from-raw", action="store_true", help="first regenerate corpus/articles/ from corpus/raw/ and corpus/sources.yaml")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no candidate list")
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        from ingest.corpus import write_articles
        from ingest.pipeline import run_ingest

        if args.from_raw:
            for path in write_articles(settings.corpus_dir):
                print(f"wrote {path}")
        summary = run_ingest(settings, rebuild=args.rebuild, progress=None if not args.quiet else False, checks=corpus_checks(settings))
        print(summary.line())
        if not args.quiet:
            print_candidates(settings)
    except HamstringBotError as exc:
        print(f"ingest failed, index left as it was:\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ingest interrupted; the previous index is still the live one. Run it again to finish.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
