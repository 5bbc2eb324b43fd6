"""The `hamstring-bot` command: ask one question, chat in the terminal, list candidate disagreements.

Errors a user can fix are printed as one plain message (exit 2), never as a stack trace.
"""

import argparse
import sys

from bot.chain import Bot
from bot.guardrails.conflicts import ConflictRegistry, candidate_disagreements
from core.corpus import load_articles
from core.errors import HamstringBotError
from core.settings import Settings
from core.types import Answer, Message


def render(answer: Answer) -> str:
    """The answer for a terminal: the text, then each numbered source with its exact quote."""
    lines = [answer.text]
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            where = f"{c.title} — {c.section}" if c.section else c.title
            lines.append(f"  [{c.n}] {where}\n      “{c.quote}”")
    return "\n".join(lines)


CHAT_HELP = "Commands: /new (or /clear) starts a new conversation, /quit ends. An empty line or Ctrl-D also ends."


def chat(bot) -> None:
    print("hamstring-bot — ask about hamstring pain in runners. Not a diagnosis.\n" + CHAT_HELP)
    history: list[Message] = []
    while True:
        try:
            question = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not question or question.lower() in ("/quit", "/exit"):
            return
        if question.lower() in ("/new", "/clear", "/reset"):
            history = []  # a new conversation: nothing said before, a red flag included, is carried over
            print("bot> Started a new conversation.")
            continue
        if question.startswith("/"):
            print(f"bot> Unknown command {question.split()[0]!r}. {CHAT_HELP}")
            continue
        try:
            answer = bot.ask(question, history)
        except HamstringBotError as exc:
            print(f"bot> {exc}")
            continue
        print("bot> " + render(answer))
        history += [Message(role="user", content=question), Message(role="assistant", content=answer.text)]


def review_disagreements(settings: Settings) -> None:
    """Likely disagreements between the articles that corpus/conflicts.yaml does not hold yet, for a curator."""
    registry = ConflictRegistry.load(settings.conflicts_path)
    candidates = candidate_disagreements(load_articles(settings.articles_dir, settings.max_article_bytes), registry)
    if not candidates:
        print(f"No candidate disagreements outside {settings.conflicts_path}.")
    else:
        print(f"{len(candidates)} candidate disagreement(s) not in {settings.conflicts_path} — review them:")
    for c in candidates:
        print(f"  - {c.action}: {c.source_for} “{c.sentence_for}” vs {c.source_against} “{c.sentence_against}”")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hamstring-bot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    sub.add_parser("chat", help="a conversation in the terminal")
    sub.add_parser("disagreements", help="list disagreements between the articles that corpus/conflicts.yaml lacks")
    args = parser.parse_args(argv)
    try:
        if args.command == "disagreements":
            review_disagreements(Settings())
            return 0
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
