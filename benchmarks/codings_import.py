"""Importing a codings table: time per row as the table grows, all rows on one segment (the worst case).

A project with one transcript of one segment and a codebook of 50 codes; a CSV
of N unique codings (segment_id, code, coder), every one on that segment, is
imported with ``import_codings_report`` and imported again (which must add
nothing). Baseline, in the same run: the duplicate check qdakit used before
issue 28, one SQL query per row over the segment's codings, at the sizes where
it still finishes (it took 106 s for 40,000 rows).

    python benchmarks/codings_import.py [--quick]

Ends with ``RESULT rows=... seconds=... rerun_seconds=... rows_per_s=... baseline_rows_per_s=...``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from qdakit import Code, Codebook, Project  # noqa: E402
from qdakit.io.codings import import_codings_report  # noqa: E402
from support import make_transcript  # noqa: E402

CODES = [f"code {k:02d}" for k in range(50)]


def setup(folder: Path) -> tuple[Project, str]:
    p = Project.create(folder / "p.qdakit")
    t, segs = make_transcript("t1", [("Ann", "We plan in May and review in June, with the council.")])
    p.add_transcripts([(t, segs)])
    p.load_codebook(Codebook([Code(c) for c in CODES]))
    return p, segs[0].id


def write_rows(path: Path, segment: str, n: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write("segment_id,code,coder\n")
        for i in range(n):
            f.write(f"{segment},{CODES[i % len(CODES)]},coder{i // len(CODES)}\n")
    return path


def baseline(p: Project, segment: str, n: int) -> float:
    """The old check: one query per row for an identical active coding (rows are all new, so all insert)."""
    guids = {c.name: c.guid for c in p.codebook}
    started = time.perf_counter()
    con = p._con
    with p.transaction():
        for i in range(n):
            key = (segment, guids[CODES[i % len(CODES)]], f"base{i // len(CODES)}", None, None)
            con.execute("SELECT id FROM codings WHERE status = 'active' AND segment_id = ? AND code_guid = ? "
                        'AND coder = ? AND start IS ? AND "end" IS ? ORDER BY id LIMIT 1', key).fetchone()
            con.execute('INSERT INTO codings (segment_id, code_guid, coder, start, "end", memo, created, status) '
                        "VALUES (?,?,?,?,?,'','2026-01-01T00:00:00Z','active')", key)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="up to 100,000 rows (under a minute)")
    args = ap.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    base_sizes = [2_000, 5_000] if args.quick else [2_000, 5_000, 10_000]
    print(f"{'rows':>10} {'import s':>9} {'rows/s':>9} {'re-import s':>12} {'added again':>12}")
    last: dict[str, float] = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as d:
            p, seg = setup(Path(d))
            f = write_rows(Path(d) / "codings.csv", seg, n)
            t0 = time.perf_counter()
            first = import_codings_report(p, [f])
            t1 = time.perf_counter()
            again = import_codings_report(p, [f])
            t2 = time.perf_counter()
            assert len(first.added) == n and not again.added
            print(f"{n:>10,} {t1 - t0:>9.1f} {n / (t1 - t0):>9,.0f} {t2 - t1:>12.1f} {len(again.added):>12}")
            last = {"rows": n, "seconds": t1 - t0, "rerun": t2 - t1}
            p.close()
    print("\nbaseline (a query per row, before issue 28), on one segment:")
    base_rate = 0.0
    for n in base_sizes:
        with tempfile.TemporaryDirectory() as d:
            p, seg = setup(Path(d))
            s = baseline(p, seg, n)
            base_rate = n / s
            print(f"{n:>10,} {s:>9.1f} {base_rate:>9,.0f}")
            p.close()
    print(f"\nRESULT rows={last['rows']} seconds={last['seconds']:.1f} rerun_seconds={last['rerun']:.1f} "
          f"rows_per_s={last['rows'] / last['seconds']:.0f} baseline_rows_per_s={base_rate:.0f} "
          f"baseline_rows={base_sizes[-1]}")


if __name__ == "__main__":
    main()
