"""The default embedder (int8 ONNX on the packaged model) against the plain fp32 model."""

import numpy as np
import pytest

from assistant.embedding import load_embedder

TEXTS = [
    "Ukrainian forces recaptured Lyman on October 1.",
    "A short one.",
    "The state-run Tass news agency reported that the bridge was damaged by a truck bomb, "
    "and rail traffic resumed hours later." * 3,
    "",
]


def test_a_vector_does_not_depend_on_what_it_is_embedded_with(embedder):
    together = embedder.embed(TEXTS)
    for i, text in enumerate(TEXTS):
        assert np.array_equal(embedder.embed([text])[0], together[i])
    assert np.array_equal(embedder.embed_query(TEXTS[0]), together[0])


def test_vectors_are_unit_length_and_in_input_order(embedder):
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ embedder.embed_query("Who recaptured Lyman?")) > float(
        vectors[1] @ embedder.embed_query("Who recaptured Lyman?")
    )


@pytest.mark.parametrize("text", TEXTS[:3])
def test_int8_vectors_stay_close_to_the_fp32_model(embedder, text):
    plain = load_embedder(backend="sentence-transformers")
    assert float(embedder.embed([text])[0] @ plain.embed([text])[0]) > 0.97
