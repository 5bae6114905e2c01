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

import hashlib
import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .embed import (
    DEFAULT_MODEL_ID,
    SentenceTransformerEmbedder,
    _check_texts,
    _normalise,
    default_model_path,
    pool_chunks,
    split_token_ranges,
)
from .errors import QdakitError

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
_MANIFEST = "qdakit-build.json"


class EmbedderBuildError(QdakitError, RuntimeError):
    """A fast embedder could not be built or loaded (a package is missing, or the build failed)."""


def cache_dir() -> Path:
    """Where built models live: ``$QDAKIT_CACHE``, else ``$XDG_CACHE_HOME/qdakit``, else ``~/.cache/qdakit``."""
    if os.environ.get("QDAKIT_CACHE"):
        return Path(os.environ["QDAKIT_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "qdakit"


def model_dir(kind: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The folder of a built model: ``<cache_dir>/models/<kind>``."""
    if kind not in ("static", "onnx"):
        raise ValueError(f"kind={kind!r}: only 'static' and 'onnx' models are built; use one of them")
    return Path(root) if root is not None else cache_dir() / "models" / kind


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise EmbedderBuildError(
            f"the {extra} embedder needs the package {module.split('.')[0]!r}, which is not installed; "
            f"install it with `pip install qdakit[scale]` (or `pip install {module.split('.')[0]}`), "
            "or use --embedder minilm") from None


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_manifest(folder: Path) -> dict[str, Any]:
    f = folder / _MANIFEST
    if not f.is_file():
        raise EmbedderBuildError(
            f"{folder}: no built model here (no {_MANIFEST}); build one with `qdakit embedder build`")
    return json.loads(f.read_text(encoding="utf-8"))


def _finish_build(tmp: Path, target: Path, manifest: dict[str, Any], weights: str) -> Path:
    manifest["weights_sha256"] = _file_hash(tmp / weights)
    manifest["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(target.name + f".old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# --------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------
def build_static(out: str | os.PathLike[str] | None = None, *, pca_dims: int = 256,
                 token_remove_pattern: str | None = r"\[unused\d+\]", source: str | None = None) -> Path:
    """Distil model2vec static embeddings from the bundled model (offline, about 20 s on 2 cores).

    Every token of the model's vocabulary is passed through the model once; its
    output vector, reduced by PCA to ``pca_dims`` and weighted (SIF), becomes
    that token's static vector. A text's vector is then the mean of its
    tokens' vectors.

    Parameters
    ----------
    out : folder to write (default :func:`model_dir` ``("static")``); replaced if present
    pca_dims : dimensions kept by PCA
    token_remove_pattern : regex of vocabulary tokens to leave out (tests keep a few
        hundred tokens to build in a second)
    source : a sentence-transformers model folder (default: the bundled model)

    Returns
    -------
    Path of the built model folder.
    """
    _offline()
    _require("skeletoken", "static")
    distill = _require("model2vec.distill", "static").distill
    src = str(source or default_model_path())
    target = model_dir("static", out)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=_ensure(target.parent)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # third-party deprecation chatter during the one-off build
            model = distill(model_name=src, pca_dims=pca_dims, token_remove_pattern=token_remove_pattern)
        model.save_pretrained(str(tmp))
        return _finish_build(tmp, target, {"kind": "static", "source": DEFAULT_MODEL_ID if source is None
                                           else str(source), "pca_dims": pca_dims,
                                           "dim": int(model.dim), "token_remove_pattern": token_remove_pattern,
                                           "model2vec": _version("model2vec")}, "model.safetensors")
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, QdakitError):
            raise
        raise EmbedderBuildError(f"building the static embedder from {src} failed: {exc}") from exc


def build_onnx(out: str | os.PathLike[str] | None = None, *, per_channel: bool = True,
               opset: int = 17, source: str | None = None) -> Path:
    """Export the bundled model to ONNX and quantise it to int8 (offline, a few seconds).

    The exported graph includes mean pooling and L2 normalisation, so its
    output is the sentence embedding. Weights are quantised with
    ``onnxruntime.quantization.quantize_dynamic(..., per_channel=True)``:
    one scale per output channel keeps the vectors within cosine ~0.99 of the
    torch model, where one scale per tensor loses accuracy.

    Returns
    -------
    Path of the built model folder (``model.onnx`` and the tokenizer files).
    """
    _offline()
    _require("onnx", "onnx")
    quant = _require("onnxruntime.quantization", "onnx")
    import torch
    from transformers import AutoModel, AutoTokenizer

    src = Path(source or default_model_path())
    target = model_dir("onnx", out)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=_ensure(target.parent)))
    try:
        model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()
        tok = AutoTokenizer.from_pretrained(str(src))
        max_len = _max_seq_length(src, tok)

        class _Pooled(torch.nn.Module):
            def __init__(self, m: Any) -> None:
                super().__init__()
                self.m = m

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                h = self.m(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(h.dtype)
                e = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(e, dim=1)

        enc = tok(["a short text", "and a somewhat longer second text"], padding=True, return_tensors="pt")
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes
            torch.onnx.export(_Pooled(model), tuple(enc[n] for n in names), str(tmp / "fp32.onnx"),
                              input_names=names, output_names=["embedding"], dynamic_axes=axes,
                              opset_version=opset, dynamo=False)
        quant.quantize_dynamic(str(tmp / "fp32.onnx"), str(tmp / "model.onnx"), per_channel=per_channel,
                               weight_type=quant.QuantType.QInt8)
        (tmp / "fp32.onnx").unlink()
        tok.save_pretrained(str(tmp))
        return _finish_build(tmp, target, {"kind": "onnx", "source": DEFAULT_MODEL_ID if source is None
                                           else str(source), "per_channel": per_channel, "opset": opset,
                                           "max_seq_length": max_len, "dim": int(model.config.hidden_size),
                                           "onnxruntime": _version("onnxruntime")}, "model.onnx")
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, QdakitError):
            raise
        raise EmbedderBuildError(f"building the ONNX embedder from {src} failed: {exc}") from exc


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _max_seq_length(src: Path, tok: Any) -> int:
    cfg = src / "sentence_bert_config.json"
    if cfg.is_file():
        return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
    return int(min(getattr(tok, "model_max_length", 512), 512))


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
            return np.zeros((0, self.dim), dtype=np.float32)  # type: ignore[attr-defined]
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
        from tqdm.auto import tqdm

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
    :func:`qdakit.pipeline.configure_threads`.
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
        :func:`qdakit.pipeline.configure_threads`)
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
