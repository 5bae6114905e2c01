"""Hostile files: time and peak memory to refuse each bomb, and to read a real multi-page PDF.

Each case runs in its own Python process (peak memory is that process's
``ru_maxrss``, the interpreter and libraries included; the ``(imports only)``
row is that floor; seconds exclude the imports), under the default limits, with a 120 s wall-clock guard.
The bombs are built here (:mod:`tests.hostile`): PDFs with a 5 MB line, a
million text operators, five million no-op operators, a gigabyte of spaces,
nested forms drawing a million words, 20,000 pages; a ``.qdpx`` whose source
expands to 150 MB. The real file is the focus-group transcript of
``shared/data/transcripts/pdf`` (27 pages) and, without ``--quick``, the same
pages repeated to 297 pages. Baseline, in the same run: the same real PDF read
as before issue 28 (pdfplumber's pages kept open until the end).

    python benchmarks/hostile.py [--quick]

Ends with ``RESULT bombs=... refused=... max_bomb_s=... max_bomb_mb=... real_pages=... real_s=... real_mb=...
baseline_mb=...``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "transcripts" / "pdf" / "Focus Group 1 - Interview A.pdf"

_CHILD = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
import pdfplumber, qdakit.io.pdf, qdakit.io.refi  # noqa: the imports are not timed (the floor row shows them)
started = time.perf_counter()
outcome, detail = "read", ""
try:
    if kind == "noop":
        pass
    elif kind == "pdf":
        from qdakit.io.pdf import read_pdf
        parsed = read_pdf(path)
        detail = f"{len(parsed.turns)} turns"
    elif kind == "baseline":  # as before issue 28: every page kept until the file is closed
        import pdfplumber
        with pdfplumber.open(path) as pdf:
            n = sum(len(p.extract_text_lines(layout=False, strip=True, return_chars=False)) for p in pdf.pages)
        detail = f"{n} lines"
    elif kind == "qdpx":
        import tempfile, pathlib
        from qdakit import Project
        from qdakit.io.refi import import_qdpx
        with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.qdakit") as project:
            import_qdpx(project, path)
except Exception as exc:
    outcome, detail = "refused", f"{type(exc).__name__}: {exc}"
print(json.dumps({"outcome": outcome, "detail": detail, "seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(kind: str, path: Path | str, timeout: float = 120) -> dict[str, object]:
    started = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD, kind, str(path)], capture_output=True, text=True,
                             timeout=timeout, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    except subprocess.TimeoutExpired:
        return {"outcome": "TIMEOUT", "detail": f"still running after {timeout:.0f} s", "seconds": timeout,
                "peak_mb": float("nan")}
    if out.returncode != 0 or not out.stdout.strip():
        return {"outcome": "CRASH", "detail": (out.stderr.strip().splitlines() or ["?"])[-1],
                "seconds": time.perf_counter() - started, "peak_mb": float("nan")}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def repeated_pdf(src: Path, times: int, out: Path) -> Path:
    """``src``'s pages ``times`` over, as one PDF (pypdfium2, which pdfplumber installs)."""
    import pypdfium2 as pdfium

    dst = pdfium.PdfDocument.new()
    original = pdfium.PdfDocument(str(src))
    for _ in range(times):
        dst.import_pages(original)
    dst.save(str(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the 27-page real PDF only (under a minute or two)")
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="qdakit-hostile-"))
    bombs = [
        ("PDF: one 5 MB line", "pdf", hostile.pdf_long_line(d / "line.pdf")),
        ("PDF: 1,000,000 text operators", "pdf", hostile.pdf_text_operators(d / "ops.pdf")),
        ("PDF: 5,000,000 no-op operators", "pdf", hostile.pdf_noops(d / "noop.pdf")),
        ("PDF: 1 GiB of spaces", "pdf", hostile.pdf_spaces(d / "spaces.pdf")),
        ("PDF: forms drawing 10^6 words", "pdf", hostile.pdf_nested_forms(d / "forms.pdf")),
        ("PDF: 20,000 pages", "pdf", hostile.pdf_many_pages(d / "pages.pdf", 20_000)),
        ("PDF: 20,000 pages, declaring 2", "pdf", hostile.pdf_many_pages(d / "liar.pdf", 20_000, declare=2)),
        (".qdpx: 150 MB source", "qdpx", hostile.qdpx_big_source(d / "big.qdpx", 150)),
    ]
    real = []
    if REAL.is_file():
        real.append(("real PDF, 27 pages (focus group 1)", REAL, 27))
        if not args.quick:
            real.append(("real PDF, 297 pages (the same, x11)", repeated_pdf(REAL, 11, d / "long.pdf"), 297))
    print(f"{'case':<40} {'file KB':>8} {'outcome':>8} {'seconds':>8} {'peak MB':>8}  detail")
    floor = run("noop", "-")
    print(f"{'(imports only)':<40} {'':>8} {'':>8} {floor['seconds']:>8.1f} {floor['peak_mb']:>8.0f}")
    results = []
    for name, kind, path in bombs:
        r = run(kind, path)
        results.append(r)
        print(f"{name:<40} {path.stat().st_size / 1024:>8.0f} {r['outcome']:>8} {r['seconds']:>8.1f} "
              f"{r['peak_mb']:>8.0f}  {str(r['detail'])[:110]}")
    reals = []
    for name, path, pages in real:
        for kind, label in (("pdf", name), ("baseline", f"  baseline: pages kept open ({pages} p.)")):
            r = run(kind, path, timeout=600)
            reals.append((kind, pages, r))
            print(f"{label:<40} {path.stat().st_size / 1024:>8.0f} {r['outcome']:>8} {r['seconds']:>8.1f} "
                  f"{r['peak_mb']:>8.0f}  {str(r['detail'])[:110]}")
    refused = sum(r["outcome"] == "refused" for r in results)
    ours = [(p, r) for k, p, r in reals if k == "pdf"]
    base = [(p, r) for k, p, r in reals if k == "baseline"]
    line = (f"RESULT bombs={len(results)} refused={refused} "
            f"max_bomb_s={max(float(r['seconds']) for r in results):.1f} "  # type: ignore[arg-type]
            f"max_bomb_mb={max(float(r['peak_mb']) for r in results):.0f}")  # type: ignore[arg-type]
    if ours:
        pages, r = ours[-1]
        line += (f" real_pages={pages} real_s={float(r['seconds']):.1f} real_mb={float(r['peak_mb']):.0f}"  # type: ignore[arg-type]
                 f" baseline_mb={float(base[-1][1]['peak_mb']):.0f} baseline_s={float(base[-1][1]['seconds']):.1f}")  # type: ignore[arg-type]
    print(line)


if __name__ == "__main__":
    main()
