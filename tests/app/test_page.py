"""The chat page's own handler, called as Gradio calls it: what a runner sees when the index can't be read."""

from core.corpus import load_articles
from core.errors import AnswerUnavailable
from web.articles import Shelf
from web.feedback import SqliteFeedback
from web.page import build_chat


def test_an_unreadable_index_gives_the_bots_apology_and_keeps_the_question(settings):
    def ask(question):
        raise AnswerUnavailable("Sorry, I can't reach the articles right now.", retry_after=10)

    page = build_chat(settings, ask, SqliteFeedback(settings.feedback_db), Shelf.of(load_articles(settings.articles_dir)))
    chat = next(f.fn for f in page.fns.values() if f.api_name == "chat")
    *_, (shown, turns, box, status) = chat("How do I stretch my hamstrings?", [], None)
    assert box == "How do I stretch my hamstrings?" and turns == []  # nothing typed is lost
    assert status == "Sorry, I can't reach the articles right now. Try again in 10 seconds."
