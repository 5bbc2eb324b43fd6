"""Hybrid retrieval with a fake embedder over a real Chroma store; fusion and history folding."""

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from bot.retrieval import HybridRetriever, build_retriever, leaned_on, leans_on_history, to_passage
from core.embeddings import QueryCache
from core.text import content_terms
from core.corpus import load_articles
from core.index import open_client, read_manifest
from core.index import read_chunks
from ingest.pipeline import run_ingest
from tests.fakes import WordEmbeddings


class Ranked(BaseRetriever):
    """Returns fixed documents in a fixed order, whatever the query."""

    ids: list[str]

    def _get_relevant_documents(self, query, *, run_manager):
        return [Document(id=i, page_content=i) for i in self.ids]


def test_reciprocal_rank_fusion_rewards_agreement():
    hybrid = HybridRetriever(dense=Ranked(ids=["a", "b", "c"]), lexical=Ranked(ids=["c", "b"]), k=3, rrf_k=60)
    fused = {d.id: d.metadata["fused_score"] for d in hybrid.invoke("anything")}
    assert fused["b"] == 1 / 62 + 1 / 62
    assert fused["c"] == 1 / 63 + 1 / 61
    assert max(fused, key=fused.get) in {"b", "c"}
    assert fused["a"] < fused["b"]


def test_content_terms_drop_stopwords_and_fold_word_forms():
    assert content_terms("Should I be stretching my hamstrings?") == content_terms("stretch hamstring")
    assert len(content_terms("Should I be stretching my hamstrings?")) == 2
    assert content_terms("don’t stretch") == ["stretch"]
    assert content_terms("how long till i'd notice, and you’re sure it'll help?") == content_terms("how long till notice sure help")  # contractions
    assert content_terms("overstride") == content_terms("overstriding") == content_terms("overstrides")


def test_follow_ups_borrow_the_earlier_turns():
    earlier = ["What is proximal hamstring tendinopathy?"]
    assert leaned_on("How do I prevent it?", earlier) == ("What is proximal hamstring tendinopathy?",)
    assert leaned_on("So should I stretch them?", ["Why are my hamstrings tight?"]) == ("Why are my hamstrings tight?",)
    # A question that stands alone is left alone.
    assert leaned_on("How do I prevent a hamstring strain when sprinting?", earlier) == ()
    assert leaned_on("How do I prevent it?", []) == ()
    assert leaned_on("How do I prevent it?", earlier, turns=0) == ()


def test_a_follow_up_that_names_nothing_but_the_hamstring_leans_on_the_turn_before():
    from bot.understand import QuestionReader

    unnamed = QuestionReader.load().unnamed
    earlier = ["best way to massage a sore hamstring myself?"]
    follow_up = "where exactly should i focus, like which bit of the hamstring?"
    assert leaned_on(follow_up, earlier, unnamed=unnamed) == (earlier[0],)
    assert leaned_on("is swimming better than the bike for a pulled hamstring?", earlier, unnamed=unnamed) == ()


def test_only_the_newest_turns_are_folded():
    earlier = ["first about shoes", "second about tendinopathy", "third about sitting pain"]
    assert leaned_on("And that?", earlier, turns=2) == ("second about tendinopathy", "third about sitting pain")


def test_leaning_is_judged_by_pronouns_and_length():
    assert leans_on_history("what about that?")
    assert leans_on_history("Why?")
    assert not leans_on_history("Is foam rolling good before a run?")


class CountingEmbeddings(WordEmbeddings):
    def __init__(self):
        super().__init__()
        self.queries = 0

    def embed_query(self, text):
        self.queries += 1
        return super().embed_query(text)


def test_query_cache_embeds_a_question_once():
    inner = CountingEmbeddings()
    cache = QueryCache(inner, size=2)
    cache.embed_query("a"), cache.embed_query("a"), cache.embed_query("b"), cache.embed_query("c"), cache.embed_query("a")
    assert inner.queries == 4


def test_hybrid_retriever_fuses_dense_and_lexical_hits(tiny_settings):
    run_ingest(tiny_settings, WordEmbeddings(), model="fake", progress=False)
    manifest = read_manifest(tiny_settings)
    client = open_client(tiny_settings)
    chunks = read_chunks(client.get_collection(manifest.chunks_collection))
    store = Chroma(client=client, collection_name=manifest.chunks_collection, embedding_function=WordEmbeddings())
    retriever = build_retriever(store, chunks, k_dense=3, k_lexical=3, k=2, rrf_k=60)
    passages = [to_passage(d) for d in retriever.invoke("deadlifts for strong hamstrings")]
    assert passages[0].chunk.source_id == "beta"
    assert passages[0].rank == 1 and passages[0].dense_score is not None and passages[0].lexical_score > 0
    assert passages[0].fused_score >= passages[-1].fused_score
    articles = {a.id: a for a in load_articles(tiny_settings.articles_dir)}
    for p in passages:
        assert articles[p.chunk.source_id].body[p.chunk.start : p.chunk.end] == p.chunk.text
