"""Embedding at the model's speed, and faster embedders built offline from the bundled model.

Three embedders, each following :class:`~qdakit.embed.Embedder` (float32,
unit rows, input order, :class:`~qdakit.embed.EmptyTextError` on empty text):

* :class:`TokenSortedEmbedder` -- the bundled all-MiniLM-L6-v2 under torch,
  as :class:`~qdakit.embed.SentenceTransformerEmbedder` but each text is
  tokenised once (the window check, the chunking of long texts and the model
  input all come from that one tokenisation), batches are sorted by token
  count (not characters), and the forward pass runs under
  ``torch.inference_mode``. Same ``model_id`` as the plain embedder, so the two
  share an embedding cache: texts within the window give the same vectors (to
  float rounding); a text longer than the window is cut into the same pieces,
  taken from its tokens instead of re-tokenised, which differs only where a
  piece boundary falls inside a word.
* :class:`OnnxEmbedder` -- the same model exported to ONNX and quantised to
  int8 (dynamic, ``per_channel=True``) with onnxruntime: about 2x faster on
  CPU, cosine to the torch vectors about 0.99 (``per_channel=False`` loses
  accuracy). Needs ``onnxruntime`` (and ``onnx`` to build).
* :class:`StaticEmbedder` -- model2vec static token embeddings distilled from
  the bundled model (PCA to 256 dims): about 100x faster, no torch at run
  time, a few points of kappa lower on AnnoMI (see
  ``benchmarks/precode_scale.py``). Needs ``model2vec`` (and
  ``skeletoken`` to build).

The ONNX and static models are built from the bundled model, offline, into
:func:`cache_dir` (``$QDAKIT_CACHE``, else ``$XDG_CACHE_HOME/qdakit``, else
``~/.cache/qdakit``): on first use, or ahead with ``qdakit embedder build``.
They are never part of a project or the repository. A build writes into a
temporary folder and renames it into place, so an interrupted build leaves
nothing half-made. Each model's ``model_id`` names its kind and a hash of its
weights, so their vectors never mix with MiniLM's (or another build's) in a cache.

Examples
--------
>>> emb = load_embedder("static")  # doctest: +SKIP
>>> emb.model_id  # doctest: +SKIP
'sentence-transformers/all-MiniLM-L6-v2+static-m2v256-1a2b3c4d'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from qdakit.embed.base import _check_texts, _normalise
from qdakit.embed.build import (
    _MANIFEST,
    EmbedderBuildError,
    _read_manifest,
    _require,
    build_onnx,
    build_static,
    cache_dir,
    model_dir,
)
from qdakit.embed.tokens import TokenSortedEmbedder, _plain_tokenizer, _special_of, _TokenBatched

__all__ = [
    "EmbedderBuildError",
    "EmbedderKind",
    "OnnxEmbedder",
    "StaticEmbedder",
    "TokenSortedEmbedder",
    "build_onnx",
    "build_static",
    "cache_dir",
    "load_embedder",
    "model_dir",
]

EmbedderKind = Literal["minilm", "static", "onnx"]
KINDS: tuple[str, ...] = ("minilm", "static", "onnx")
class _BuiltModel:
    """An embedder whose model is built offline into a folder with a manifest (``static``, ``onnx``).

    Subclasses set ``_kind`` and ``_build()``; ``path``, ``build`` and ``_manifest``
    are set by their ``__init__``.
    """

    _kind: str
    path: str | os.PathLike[str] | None
    build: bool
    _manifest: dict[str, Any] | None

    def _build(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def folder(self) -> Path:
        return model_dir(self._kind, self.path)

    def _meta(self) -> dict[str, Any]:
        if self._manifest is None:
            if not (self.folder / _MANIFEST).is_file() and self.build:
                self._build()
            self._manifest = _read_manifest(self.folder)
        return self._manifest

    @property
    def dim(self) -> int:
        return int(self._meta()["dim"])


class OnnxEmbedder(_BuiltModel, _TokenBatched):
    """The bundled model exported to ONNX, int8-quantised, run with onnxruntime on CPU.

    Parameters
    ----------
    path : folder built by :func:`build_onnx` (default: :func:`model_dir` ``("onnx")``,
        built there on first use when ``build=True``)
    batch_size : texts per forward pass
    threads : onnxruntime intra-op threads (default: physical cores, see
        :func:`qdakit.batch.pipeline.configure_threads`)
    build : build the model if it is missing
    """

    _kind = "onnx"

    def __init__(self, path: str | os.PathLike[str] | None = None, *, batch_size: int = 64,
                 threads: int | None = None, build: bool = True) -> None:
        self.path = path
        self.batch_size = batch_size
        self.threads = threads
        self.build = build
        self.last_chunked: list[int] = []
        self.n_chunked = 0
        self._session: Any = None
        self._tok: Any = None
        self._spec: Any = None
        self._manifest: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"OnnxEmbedder({str(self.folder)!r})"

    def _build(self) -> None:
        build_onnx(self.path)

    @property
    def model_id(self) -> str:
        m = self._meta()
        return f"{m['source']}+onnx-int8{'-pc' if m['per_channel'] else ''}-{m['weights_sha256'][:8]}"

    def _load(self) -> Any:
        if self._session is None:
            ort = _require("onnxruntime", "onnx")
            from transformers import AutoTokenizer

            self._meta()
            so = ort.SessionOptions()
            so.intra_op_num_threads = int(self.threads or _physical_cores())
            so.inter_op_num_threads = 1
            so.log_severity_level = 3
            self._session = ort.InferenceSession(str(self.folder / "model.onnx"), so,
                                                 providers=["CPUExecutionProvider"])
            hf = AutoTokenizer.from_pretrained(str(self.folder))
            self._tok = _plain_tokenizer(hf)
            self._spec = (*_special_of(hf), int(self._meta()["max_seq_length"]))
        return self._session

    def _tokenizer(self) -> Any:
        self._load()
        return self._tok

    def _special_ids(self) -> tuple[list[int], list[int], int, int]:
        self._load()
        return self._spec

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        sess = self._load()
        return sess.run(None, {"input_ids": ids, "attention_mask": mask,
                               "token_type_ids": np.zeros_like(ids)})[0].astype(np.float32, copy=False)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_session=None, _tok=None, _spec=None)
        return state


class StaticEmbedder(_BuiltModel):
    """model2vec static embeddings distilled from the bundled model.

    A text's vector is the (SIF-weighted) mean of its tokens' static vectors,
    normalised; texts of any length are embedded whole (no window). A text
    with no token in the vocabulary (only emoji, say) gets one constant unit
    vector, the same for all such texts. About two
    orders of magnitude faster than the transformer on CPU, at some accuracy
    cost (measured in ``benchmarks/precode_scale.py``).

    Parameters
    ----------
    path : folder built by :func:`build_static` (default :func:`model_dir` ``("static")``,
        built there on first use when ``build=True``)
    batch_size : texts per call into model2vec
    build : build the model if it is missing
    """

    _kind = "static"

    def __init__(self, path: str | os.PathLike[str] | None = None, *, batch_size: int = 1024,
                 build: bool = True) -> None:
        self.path = path
        self.batch_size = batch_size
        self.build = build
        self._model: Any = None
        self._manifest: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"StaticEmbedder({str(self.folder)!r})"

    def _build(self) -> None:
        build_static(self.path)

    @property
    def model_id(self) -> str:
        m = self._meta()
        return f"{m['source']}+static-m2v{m['pca_dims']}-{m['weights_sha256'][:8]}"

    def _load(self) -> Any:
        if self._model is None:
            self._meta()
            model2vec = _require("model2vec", "static")
            self._model = model2vec.StaticModel.from_pretrained(str(self.folder), force_download=False)
        return self._model

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None,
               show_progress: bool = False) -> np.ndarray:
        """Embed ``texts``: float32 ``(len(texts), dim)``, unit rows, input order."""
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        X = self._load().encode(texts, max_length=None, batch_size=batch_size or self.batch_size,
                                show_progress_bar=show_progress, use_multiprocessing=False)
        X = np.asarray(X, dtype=np.float32).reshape(len(texts), -1)
        unknown = ~np.any(X, axis=1)
        if unknown.any():  # no token the model knows (e.g. only emoji): one shared constant direction
            X[unknown] = 1.0
        return _normalise(X)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_model"] = None
        return state


def _physical_cores() -> int:
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
    except ImportError:  # pragma: no cover
        n = None
    avail = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(n or avail, avail))


def load_embedder(kind: str = "minilm", *, device: str = "cpu", path: str | os.PathLike[str] | None = None,
                  build: bool = True) -> Any:
    """An embedder by name: ``"minilm"`` (:class:`TokenSortedEmbedder`), ``"static"`` or ``"onnx"``.

    ``static`` and ``onnx`` are built into :func:`cache_dir` on first use
    (``build=True``); they run on CPU only, so ``device`` must be "cpu" for them.
    """
    if kind == "minilm":
        return TokenSortedEmbedder(device=device)
    if kind not in KINDS:
        raise ValueError(f"embedder {kind!r}: use one of {', '.join(KINDS)}")
    if device != "cpu":
        raise ValueError(f"the {kind} embedder runs on CPU only; use --embedder minilm for device {device!r}")
    emb: Any = StaticEmbedder(path, build=build) if kind == "static" else OnnxEmbedder(path, build=build)
    emb.model_id  # noqa: B018 - build now (or fail now), not in the middle of a run
    return emb
