"""Tokenise once, sort by tokens, batch: the shared machinery of the torch and ONNX embedders,
and :class:`TokenSortedEmbedder` (the bundled MiniLM under torch, tokenised once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from qdakit.embed.base import _check_texts, _normalise
from qdakit.embed.sentence import SentenceTransformerEmbedder, pool_chunks, split_token_ranges


# --------------------------------------------------------------------------------------
# tokenise once, sort by tokens, batch
# --------------------------------------------------------------------------------------
class _TokenBatched:
    """Shared ``encode``: one tokenisation per text, length-sorted padded batches, chunked long texts.

    Subclasses provide ``_tokenizer()`` (a ``tokenizers.Tokenizer`` with no
    truncation or padding), ``_special`` (prefix and suffix ids),
    ``_pad_id``, ``_max_tokens`` (window including special tokens) and
    ``_forward(ids, mask) -> (b, dim)`` unit rows.
    """

    batch_size: int
    last_chunked: list[int]
    n_chunked: int

    def _tokenizer(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _special_ids(self) -> tuple[list[int], list[int], int, int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        """Embed ``texts``: float32 ``(len(texts), dim)``, unit rows, input order.

        Raises :class:`~qdakit.embed.EmptyTextError` for an empty text; warns
        :class:`~qdakit.embed.LongTextWarning` when texts were chunked.
        """
        texts = _check_texts(texts)
        tok = self._tokenizer()
        prefix, suffix, pad_id, max_tokens = self._special_ids()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)  # type: ignore[attr-defined,arg-type]
        window = max(8, max_tokens - len(prefix) - len(suffix))
        encodings = tok.encode_batch(texts, add_special_tokens=False)
        pieces: list[list[int]] = []
        owner: list[int] = []
        weight: list[int] = []
        long_idx: list[int] = []
        for i, enc in enumerate(encodings):
            ids = enc.ids
            if len(ids) <= window:
                pieces.append(prefix + ids + suffix)
                owner.append(i)
                weight.append(1)
                continue
            long_idx.append(i)
            for a, b in split_token_ranges(texts[i], enc.offsets, window):
                pieces.append(prefix + ids[a:b] + suffix)
                owner.append(i)
                weight.append(b - a)
        del encodings
        P = self._run_sorted(pieces, batch_size or self.batch_size, pad_id, show_progress)
        self.last_chunked = long_idx
        if not long_idx:
            return P
        self.n_chunked += len(long_idx)
        return pool_chunks(P, owner, weight, len(texts), long_idx, window)

    def _run_sorted(self, pieces: list[list[int]], batch_size: int, pad_id: int,
                    show_progress: bool) -> np.ndarray:
        order = np.argsort([-len(p) for p in pieces], kind="stable")
        out: np.ndarray | None = None
        from tqdm import tqdm

        with tqdm(total=len(pieces), desc="embedding", unit="text", disable=not show_progress) as bar:
            for b in range(0, len(pieces), batch_size):
                idx = order[b:b + batch_size]
                width = len(pieces[idx[0]])
                ids = np.full((len(idx), width), pad_id, dtype=np.int64)
                mask = np.zeros((len(idx), width), dtype=np.int64)
                for r, k in enumerate(idx):
                    p = pieces[k]
                    ids[r, :len(p)] = p
                    mask[r, :len(p)] = 1
                vecs = self._forward(ids, mask)
                if out is None:
                    out = np.empty((len(pieces), vecs.shape[1]), dtype=np.float32)
                out[idx] = vecs
                bar.update(len(idx))
        assert out is not None
        return _normalise(out)


def _plain_tokenizer(hf_tokenizer: Any) -> Any:
    """A copy of the fast tokenizer's backend with truncation and padding off."""
    from tokenizers import Tokenizer

    t = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
    t.no_truncation()
    t.no_padding()
    return t


def _special_of(hf_tokenizer: Any) -> tuple[list[int], list[int], int]:
    with_special = hf_tokenizer("a")["input_ids"]
    plain = hf_tokenizer("a", add_special_tokens=False)["input_ids"]
    k = next(i for i in range(len(with_special)) if with_special[i:i + len(plain)] == plain)
    pad = hf_tokenizer.pad_token_id
    return list(with_special[:k]), list(with_special[k + len(plain):]), int(pad if pad is not None else 0)


class TokenSortedEmbedder(_TokenBatched, SentenceTransformerEmbedder):
    """The bundled model under torch, tokenising each text once and sorting batches by tokens.

    Takes the parameters of :class:`~qdakit.embed.SentenceTransformerEmbedder`
    and has its ``model_id`` (the two share a cache). ``device`` picks the
    torch device ("cpu", "cuda", "mps"). Thread count: see
    :func:`qdakit.batch.pipeline.configure_threads`.
    """

    def __repr__(self) -> str:
        return f"TokenSortedEmbedder({self.model_id!r}, device={self.device!r})"

    def _tokenizer(self) -> Any:
        if getattr(self, "_tok", None) is None:
            self._tok = _plain_tokenizer(self._load().tokenizer)
        return self._tok

    def _special_ids(self) -> tuple[list[int], list[int], int, int]:
        if getattr(self, "_spec", None) is None:
            st = self._load()
            self._spec = (*_special_of(st.tokenizer), int(st.max_seq_length))
        return self._spec

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        st = self._load()
        dev = st.device
        feats = {"input_ids": torch.from_numpy(ids).to(dev), "attention_mask": torch.from_numpy(mask).to(dev),
                 "token_type_ids": torch.zeros_like(torch.from_numpy(ids)).to(dev)}
        with torch.inference_mode():
            out = st.forward(feats)["sentence_embedding"]
        return out.float().cpu().numpy()

    def __getstate__(self) -> dict[str, Any]:  # ship the recipe, not the loaded model
        state = self.__dict__.copy()
        state.update(_st=None, _tok=None, _spec=None)
        return state
