"""The sentence-transformers embedder, and the token-window splitting and pooling of long texts.

Texts longer than the model's window are split into chunks (at sentence ends
where possible), each chunk is embedded, and the chunk vectors are averaged
(weighted by their token counts) and renormalised. The caller is told through
:class:`~qdakit.embed.base.LongTextWarning` and
:attr:`SentenceTransformerEmbedder.last_chunked`.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qdakit.embed.base import (
    DEFAULT_MODEL_ID,
    LongTextWarning,
    _check_texts,
    _normalise,
    default_model_path,
)
from qdakit.errors import ModelLoadError

#: the file, in a model folder qdakit saved, that records the digest of its weights when they were written
WEIGHTS_RECORD = "qdakit-weights.sha256"


def folder_digest(folder: str | os.PathLike[str]) -> str:
    """The sha256 of a model folder's content: every file's relative path and bytes (``WEIGHTS_RECORD`` aside).

    Two models saved in one place one after the other get two digests, so
    nothing keyed by the model (cached embeddings, suggester ids) is reused
    for the other.
    """
    root = Path(folder)
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file() and p.name != WEIGHTS_RECORD):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        with f.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()


# --------------------------------------------------------------------------------------
# sentence-transformers
# --------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?;:]\s*$")


def split_token_ranges(text: str, offsets: Sequence[tuple[int, int]], n_max: int) -> list[tuple[int, int]]:
    """Token ranges of at most ``n_max`` tokens, breaking after a sentence end in the
    second half of a window where there is one. ``offsets`` are the tokens' character spans."""
    n = len(offsets)
    out, start = [], 0
    while start < n:
        stop = min(start + n_max, n)
        if stop < n:
            for j in range(stop - 1, start + n_max // 2, -1):
                if _SENTENCE_END.search(text[offsets[start][0]:offsets[j][1]]):
                    stop = j + 1
                    break
        out.append((start, stop))
        start = stop
    return out


def pool_chunks(P: np.ndarray, owner: Sequence[int], weight: Sequence[int], n_texts: int,
                long_idx: Sequence[int], window: int) -> np.ndarray:
    """One unit vector per text from the embeddings ``P`` of its pieces.

    ``owner[j]`` is the text of piece ``j`` and ``weight[j]`` its length in tokens
    (1 for a text embedded whole): a long text gets the length-weighted mean of its
    chunks. Warns :class:`LongTextWarning` naming the long texts ``long_idx``.
    """
    out = np.zeros((n_texts, P.shape[1]), dtype=np.float64)
    np.add.at(out, np.asarray(owner), P * np.asarray(weight, dtype=np.float64)[:, None])
    shown = ", ".join(map(str, long_idx[:10])) + (" ..." if len(long_idx) > 10 else "")
    warnings.warn(
        f"{len(long_idx)} of {n_texts} texts are longer than the model's window "
        f"({window} tokens) and were split into chunks whose embeddings were averaged "
        f"(texts {shown}). Shorter segments (paragraphs) give sharper suggestions.",
        LongTextWarning, stacklevel=3)
    return _normalise(out)


class SentenceTransformerEmbedder:
    """Embed with a sentence-transformers model (default: the bundled all-MiniLM-L6-v2).

    Parameters
    ----------
    model : str or Path, optional
        A sentence-transformers model name or a local folder. None loads the
        bundled all-MiniLM-L6-v2 offline (``HF_HUB_OFFLINE=1`` is set if unset).
    device : str, default "cpu"
        Torch device ("cpu", "cuda", "cuda:1", "mps").
    batch_size : int, default 64
    max_seq_length : int, optional
        Override the model's window in tokens (MiniLM: 256). Texts longer than
        the window are chunked and mean-pooled, never truncated.
    model_id : str, optional
        The id used in cache keys and suggestion model ids; by default the
        model name, or ``DEFAULT_MODEL_ID`` for the bundled model, with
        ``@<max_seq_length>`` appended when the window is overridden.

    Attributes
    ----------
    last_chunked : list of int
        Indices (into the last ``encode`` call's texts) that were chunked.
    n_chunked : int
        Texts chunked since this embedder was created.

    Notes
    -----
    The model is loaded on first use (``dim`` or ``encode``), not in ``__init__``.
    Texts are sorted by length, encoded in batches, and returned in input order.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, *, device: str = "cpu",
                 batch_size: int = 64, max_seq_length: int | None = None,
                 model_id: str | None = None) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self._model_id = model_id
        self._digest: str | None = None
        self._st: Any = None
        self.last_chunked: list[int] = []
        self.n_chunked = 0

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_id!r}, device={self.device!r})"

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory already (loaded by a first use, or just trained)."""
        return self._st is not None

    @property
    def model_id(self) -> str:
        """What the model is called in caches and suggester ids: a local folder by its path and content digest.

        ``--model ./m`` is keyed by what ``./m`` holds (``./m#<sha256[:12]>``), so
        another model saved there later gets its own embeddings; a model by
        name (the bundled one, the Hugging Face cache) by its name.
        """
        if self._model_id is not None:
            return self._model_id
        base = DEFAULT_MODEL_ID if self.model is None else str(self.model)
        if self.model is not None and Path(self.model).is_dir():
            if self._digest is None:
                self._digest = folder_digest(self.model)
            base = f"{base}#{self._digest[:12]}"
        return base if self.max_seq_length is None else f"{base}@{self.max_seq_length}"

    def _load(self) -> Any:
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            source = str(default_model_path() if self.model is None else self.model)
            try:  # no "Loading weights" progress bar from transformers on every load
                from transformers.utils import logging as hf_logging

                was_enabled = hf_logging.is_progress_bar_enabled()
                hf_logging.disable_progress_bar()
            except ImportError:  # pragma: no cover
                hf_logging, was_enabled = None, False  # type: ignore[assignment]
            try:
                st = SentenceTransformer(source, device=self.device)
            except Exception as exc:  # a wrong name or folder: one line that says what to pass instead
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise ModelLoadError(f"could not load the sentence-transformers model {source!r} ({first}); name a "
                                     "local model folder or a model already in the Hugging Face cache: nothing is "
                                     "downloaded while offline") from exc
            finally:
                if hf_logging is not None and was_enabled:
                    hf_logging.enable_progress_bar()
            if self.max_seq_length is not None:
                st.max_seq_length = int(self.max_seq_length)
            self._st = st
        return self._st

    @property
    def dim(self) -> int:
        """The model's embedding dimension (loads the model)."""
        st = self._load()
        get = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        return int(get())

    @property
    def window(self) -> int:
        """Tokens of text per chunk: the model's window less the special tokens."""
        st = self._load()
        return max(8, int(st.max_seq_length) - 2)

    def _chunks(self, text: str, n_tokens_max: int) -> list[tuple[str, int]]:
        """Split ``text`` into (chunk, n_tokens) pieces of at most ``n_tokens_max`` tokens,
        breaking after a sentence end in the second half of a window where there is one."""
        tok = self._load().tokenizer
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        offsets = enc["offset_mapping"]
        n = len(offsets)
        if n <= n_tokens_max:
            return [(text, max(n, 1))]
        pieces = []
        for start, stop in split_token_ranges(text, offsets, n_tokens_max):
            chunk = text[offsets[start][0]:offsets[stop - 1][1]].strip()
            if chunk:
                pieces.append((chunk, stop - start))
        return pieces

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        """Embed ``texts``: float32 ``(len(texts), dim)``, unit rows, input order.

        Raises
        ------
        EmptyTextError
            If a text is empty or whitespace only (the message names its index).

        Warns
        -----
        LongTextWarning
            If some texts were longer than the window (chunked and mean-pooled).
        """
        texts = _check_texts(texts)
        st = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        window = self.window
        tok = st.tokenizer
        # cheap pre-check by characters: a token is at least one character
        long_idx = [i for i, t in enumerate(texts) if len(t) > window]
        if long_idx:
            lengths = tok([texts[i] for i in long_idx], add_special_tokens=False, verbose=False)["input_ids"]
            long_idx = [i for i, ids in zip(long_idx, lengths, strict=True) if len(ids) > window]
        pieces: list[str] = []
        owner: list[int] = []
        weight: list[int] = []
        long_set = set(long_idx)
        for i, t in enumerate(texts):
            if i in long_set:
                for chunk, k in self._chunks(t, window):
                    pieces.append(chunk)
                    owner.append(i)
                    weight.append(k)
            else:
                pieces.append(t)
                owner.append(i)
                weight.append(1)
        P = self._encode_sorted(pieces, batch_size or self.batch_size, show_progress)
        if long_idx:
            self.last_chunked = long_idx
            self.n_chunked += len(long_idx)
            return pool_chunks(P, owner, weight, len(texts), long_idx, window)
        self.last_chunked = []
        return P

    def _encode_sorted(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        st = self._load()
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        from tqdm import tqdm

        with tqdm(total=len(texts), desc="embedding", unit="text", disable=not show_progress) as bar:
            for b in range(0, len(texts), batch_size):
                idx = order[b:b + batch_size]
                vecs = st.encode([texts[i] for i in idx], batch_size=len(idx), convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)
                out[idx] = vecs
                bar.update(len(idx))
        return _normalise(out)
