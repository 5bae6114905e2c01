"""Benchmark: import real transcripts (PDF, RTF, Danish Word) and the example study, and audit them.

For every file: characters of text, share in segments, share in non-speech
spans by kind, unresolved share, segments, speakers, segments with a suspected
merged turn (``merged``), turns split by the known-speaker rule (``split``: a
known speaker's label typed unlike the file's others, ``[20:12] PARTICIPANT 2.``),
suspected merges the audit reports (``susp``: label-like lines of the
transcript's speakers inside a segment, each listed below the table) and MB/s,
then totals and a table per folder. Beside the readers,
a named baseline is measured in the same run on the same extracted text:
``naive``, a turn starts at any ``Name:`` line (with an optional ``[time]``)
and text before the first label is dropped, as a first script (or qdakit
before the audit) would do. Its coverage and merged turns show what the
readers' rules buy.

Data: ../shared/data/transcripts/** (pdf/, rtf/, docx_da/; see its README)
and examples/study. No training, no tuning: the rules are fixed.

Usage: python benchmarks/import_real.py [--quick] [--data DIR] [--sample N]
``--quick`` reads the smallest file of each folder (< 1 minute). ``--sample N``
then prints N random segments (seed 15) from the three real folders, each
with the text before it, for checking speaker attribution by hand.
Ends with ``RESULT coverage=... merged_turns=... known_splits=... suspected_merges=... unresolved_share=...
mb_per_s=...``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from qdakit.io import TRANSCRIPT_SUFFIXES, read_transcripts
from qdakit.io.audit import audit_transcript
from qdakit.io.segment import segment

ROOT = Path(__file__).resolve().parents[1]

_SHORT = {"speaker_label": "label", "timestamp": "time", "stage_direction": "stage", "page_header": "header",
          "page_footer": "footer", "page_number": "pageno"}
_NAIVE = re.compile(r"^\s*(?:\[\d{1,2}(?::\d{2}){1,2}\]\s*)?([A-Za-z][\w .'-]{0,30}):(?=\s|$)", re.M)


def naive(text: str) -> tuple[int, int, int]:
    """The baseline: (non-blank characters in a turn or its label, turns, turns with a known label inside)."""
    labels = list(_NAIVE.finditer(text))
    names = Counter(m[1] for m in labels)
    known = {n for n, k in names.items() if k >= 2}
    kept = sum(sum(not c.isspace() for c in m.group(0)) for m in labels)  # the labels themselves
    merged = 0
    for m, nxt in zip(labels, [*labels[1:], None], strict=False):  # each label and the next
        body = text[m.end():nxt.start() if nxt else len(text)]
        kept += sum(not c.isspace() for c in body)
        lines = body.split("\n")[1:]
        if any(re.match(rf"^\s*(?:\S+\s+)?({'|'.join(map(re.escape, known))})\s*[:.;]", ln) for ln in lines if known):
            merged += 1
    return kept, len(labels), merged


def files(data: Path, quick: bool) -> list[tuple[str, Path]]:
    out = []
    for folder in ("pdf", "rtf", "docx_da"):
        fs = sorted(f for f in (data / folder).glob("*") if f.suffix.lower() in TRANSCRIPT_SUFFIXES)
        out += [(folder, f) for f in ([min(fs, key=lambda f: f.stat().st_size)] if quick and fs else fs)]
    ex = sorted(f for f in (ROOT / "examples" / "study").rglob("*")
                if f.suffix.lower() in (".txt", ".vtt", ".docx") and f.name != "questions.txt")
    out += [("examples", f) for f in (ex[:1] if quick else ex)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one file per folder")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "transcripts")
    ap.add_argument("--sample", type=int, default=0, help="print N random real segments to check by hand")
    args = ap.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no transcripts at {args.data}; pass --data DIR")
    rows = []
    pool: list[tuple[str, str, str, object]] = []  # folder, text before, transcript text, segment
    totals: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    per_folder: dict[str, Counter[str]] = defaultdict(Counter)
    seconds = mbytes = 0.0
    header = (f"{'folder':9} {'file':34} {'chars':>7} {'in seg':>7} {'non-sp':>7} {'unres':>6} {'segs':>5} "
              f"{'spk':>4} {'merged':>6} {'split':>5} {'susp':>4} {'s/MB':>6} | {'naive cov':>9} {'naive merged':>12} "
              "| non-speech by kind")
    print(header)
    print("-" * len(header))
    for folder, f in files(args.data, args.quick):
        t0 = time.perf_counter()
        parsed_all = read_transcripts(f)
        audits = []
        for parsed in parsed_all:
            _, segs = segment(parsed)
            audits.append((parsed, audit_transcript(parsed, segs, language=False)))
            if folder != "examples" and "guide" not in f.name.lower():
                pool += [(folder, parsed.text[max(0, s.start - 120):s.start], s.id, s) for s in segs]
        dt = time.perf_counter() - t0
        mb = f.stat().st_size / 1e6
        seconds += dt
        mbytes += mb
        for parsed, a in audits:
            ns = sum(a.non_speech.values())
            base_text = parsed.text + "".join("\n" + s.text for s in parsed.set_aside)
            kept, _, base_merged = naive(base_text)
            naive_cov = kept / a.characters if a.characters else 1.0
            print(f"{folder:9} {f.name[:34]:34} {a.characters:7d} {a.in_segments / a.characters:7.3f} "
                  f"{ns / a.characters:7.3f} {a.unresolved_share:6.3f} {a.segments:5d} {len(a.speakers):4d} "
                  f"{len(a.merged_turns):6d} {len(a.known_splits):5d} {len(a.merges):4d} {dt / mb:6.2f} | "
                  f"{naive_cov:9.3f} {base_merged:12d} | "
                  + " ".join(f"{_SHORT.get(k, k)} {v / a.characters:.3f}" for k, v in sorted(a.non_speech.items())))
            totals.update(chars=a.characters, seg=a.in_segments, ns=ns, unres=a.unresolved, segs=a.segments,
                          merged=len(a.merged_turns), naive_kept=kept, naive_merged=base_merged,
                          splits=len(a.known_splits), merges=len(a.merges))
            per_folder[folder].update(files=1, segs=a.segments, splits=len(a.known_splits), merges=len(a.merges),
                                      flagged=len(a.flagged_speakers))
            kinds.update(a.non_speech)
            if a.coverage < 1.0:
                totals["files_below_full"] += 1
            rows.append(a)
    print("-" * len(header))
    chars = totals["chars"]
    coverage = (totals["seg"] + totals["ns"]) / chars
    print(f"total: {len(rows)} transcripts, {chars} characters, in segments {totals['seg'] / chars:.3f}, "
          f"non-speech {totals['ns'] / chars:.3f}, unresolved {totals['unres'] / chars:.3f}, "
          f"{totals['segs']} segments, {totals['merged']} suspected merged turns, "
          f"files below full coverage {totals['files_below_full']}")
    print("non-speech by kind (share of characters): "
          + ", ".join(f"{k} {v / chars:.4f}" for k, v in sorted(kinds.items()) if v))
    print(f"baseline naive: coverage {totals['naive_kept'] / chars:.3f}, merged turns {totals['naive_merged']}")
    print(f"known-speaker rule: {totals['splits']} turns split; audit: {totals['merges']} suspected merges")
    print(f"\n{'folder':9} {'files':>5} {'segments':>8} {'split by known-speaker rule':>27} "
          f"{'suspected merges':>16} {'flagged speakers':>16}")
    for folder, c in per_folder.items():
        print(f"{folder:9} {c['files']:5d} {c['segs']:8d} {c['splits']:27d} {c['merges']:16d} {c['flagged']:16d}")
    print()
    for a in rows:
        for k in a.known_splits:
            print(f"split: {a.transcript}, line {k['line']}: {k['speaker']!r} {k['text']!r}")
        for m in a.merges:
            print(f"suspected merge: {m['segment']}, line {m['line']}: {m['text']!r}")
    flagged = [(a.transcript, s, why) for a in rows for s, why in a.flagged_speakers.items()]
    for name, speaker, why in flagged:
        print(f"flagged speaker: {name}: {speaker!r} ({why})")
    if args.sample:
        import random

        per = {folder: [p for p in pool if p[0] == folder] for folder in ("pdf", "rtf", "docx_da")}
        k = args.sample // 3
        picks = [x for i, (folder, items) in enumerate(per.items()) if items
                 for x in random.Random(15).sample(items, min(len(items), args.sample - 2 * k if i == 1 else k))]
        for n, (folder, before, sid, s) in enumerate(picks, 1):
            print(f"#{n} [{folder}] {sid} speaker={s.speaker!r}")  # type: ignore[attr-defined]
            print("   BEFORE: ..." + before.replace("\n", " | "))
            print(f"   SEGMENT: {s.text[:160]!r}")  # type: ignore[attr-defined]
    mb_per_s = mbytes / seconds if seconds else float("nan")
    print(f"RESULT coverage={coverage:.4f} merged_turns={totals['merged']} known_splits={totals['splits']} "
          f"suspected_merges={totals['merges']} "
          f"unresolved_share={totals['unres'] / chars:.4f} mb_per_s={mb_per_s:.3f} "
          f"naive_coverage={totals['naive_kept'] / chars:.4f} naive_merged_turns={totals['naive_merged']}")


if __name__ == "__main__":
    main()
