"""The bot when its store fails under a question: the runner gets a readable apology (AnswerUnavailable),
never a stack trace; red flags are still escalated, since that needs no retrieval; and the bot opens the
index again once it has been rebuilt. In-memory parts and a real embedded store; no model."""

import contextlib
import shutil

import chromadb
import numpy as np
import pytest
from langchain_chroma import Chroma

from bot.chain import APOLOGY, Bot, Rules, Snapshot
from bot.guardrails.conflicts import ConflictRegistry
from bot.guardrails.redflags import RedFlagRules
from bot.guardrails.scope import ScopeRules
from bot.understand import QuestionReader
from core.corpus import load_articles
from core.embeddings import QueryCache
from core.errors import AnswerUnavailable, StoreUnreachable
from core.settings import Settings
from ingest.pipeline import pieces, run_ingest
from tests.fakes import WordEmbeddings


class DeadStore(Chroma):
    """A vector store whose server has gone: every search says so, as core.index.call_store would."""

    def similarity_search_with_score(self, *args, **kwargs):
        raise StoreUnreachable("The Chroma server at http://nowhere did not answer within 3 s. Start it or unfreeze it.")


@pytest.fixture(scope="module")
def dead_bot(tmp_path_factory) -> Bot:
    settings = Settings(data_dir=tmp_path_factory.mktemp("dead"))
    articles = load_articles(settings.articles_dir)
    chunks, sentences, units = pieces(articles, settings)
    embeddings = QueryCache(WordEmbeddings())
    client = chromadb.EphemeralClient(settings=chromadb.config.Settings(anonymized_telemetry=False))
    store = DeadStore(client=client, collection_name="dead", embedding_function=embeddings)
    rules = Rules(RedFlagRules.load(), ConflictRegistry.load(), ScopeRules.load(), QuestionReader.load())
    zeros = lambda n: np.zeros((n, 128), dtype=np.float32)  # noqa: E731
    snap = Snapshot.build(articles, chunks, sentences, zeros(len(sentences)), units, zeros(len(units)), store, rules, settings)
    return Bot(settings, embeddings, snap, "fake-words")


def test_a_store_that_fails_under_a_question_gets_the_runner_an_apology(dead_bot, caplog):
    with pytest.raises(AnswerUnavailable) as raised:
        dead_bot.ask("How do I strengthen my hamstrings?")
    assert str(raised.value) == APOLOGY and raised.value.retry_after > 0
    assert "Start it or unfreeze it" in caplog.text  # the operator's fix goes to the log, once


def test_a_red_flag_is_escalated_even_with_the_store_down(dead_bot):
    answer = dead_bot.ask("I felt a pop in my hamstring and now I can't walk")
    assert answer.escalation and answer.escalation.urgent


def test_the_bot_opens_the_index_again_after_a_rebuild_without_a_restart(tmp_path, caplog):
    settings = Settings(data_dir=tmp_path / "data")
    run_ingest(settings, WordEmbeddings(), model="fake-words", progress=False)
    bot = Bot.load(settings, embeddings=WordEmbeddings())
    shutil.rmtree(settings.chroma_dir)
    (settings.chroma_dir).mkdir()
    (settings.chroma_dir / "chroma.sqlite3").write_bytes(b"not a database" * 100)
    for _ in range(3):  # answered from memory or apologised for, whichever the damage allows
        with contextlib.suppress(AnswerUnavailable):
            bot.ask("How do I strengthen my hamstrings?")
    summary = run_ingest(settings, WordEmbeddings(), model="fake-words", progress=False, rebuild=True)
    assert summary.set_aside is not None
    assert bot.ask("How do I strengthen my hamstrings?").citations
    assert "index reopened" in caplog.text
