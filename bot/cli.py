"""The `hamstring-bot` command: ask one question, chat in the terminal, or build the index.

Errors a user can fix are printed as one plain message (exit 2), never as a stack trace.
"""

import argparse
import sys

from bot.errors import HamstringBotError
from bot.settings import Settings
from bot.types import Answer


def render(answer: Answer) -> str:
    """The answer for a terminal: the text, then each numbered source with its exact quote."""
    lines = [answer.text]
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            where = f"{c.title} — {c.section}" if c.section else c.title
            lines.append(f"  [{c.n}] {where}\n      “{c.quote}”")
    return "\n".join(lines)


def chat(bot) -> None:
    print("hamstring-bot — ask about hamstring pain in runners. Empty line or Ctrl-D to quit. Not a diagnosis.")
    history: list[dict] = []
    while True:
        try:
            question = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not question:
            return
        try:
            answer = bot.ask(question, history)
        except HamstringBotError as exc:
            print(f"bot> {exc}")
            continue
        print("bot> " + render(answer))
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hamstring-bot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    sub.add_parser("chat", help="a conversation in the terminal")
    ingest = sub.add_parser("ingest", help="build or update the search index")
    ingest.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "ingest":
        from ingest.__main__ import main as ingest_main

        return ingest_main(["--rebuild"] if args.rebuild else [])
    try:
        from bot.chain import Bot

        bot = Bot.load(Settings())
        if args.command == "chat":
            chat(bot)
            return 0
        answer = bot.ask(args.question)
    except HamstringBotError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(answer.model_dump_json(indent=2) if args.json else render(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
