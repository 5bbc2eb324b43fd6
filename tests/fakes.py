"""Small real stand-ins for heavy parts: an embedder that needs no model.

WordEmbeddings hashes words into a fixed-size bag-of-words vector: texts sharing words are similar.
"""

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings


class WordEmbeddings(Embeddings):
    """Deterministic, unit-length bag-of-words vectors; counts every call so tests can see re-embedding."""

    def __init__(self, dims: int = 128):
        self.dims = dims
        self.embedded: list[str] = []

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dims
        for word in re.findall(r"[a-z]+", text.lower()):
            vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dims] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
