"""How often REFI-QDA selection positions come back exact: offset detection vs the standard's reading.

Synthetic projects (our own word list: accents, emoji, CJK, smart quotes; CRLF
line ends) of D documents with k selections each, a share of them starting a
few characters into a word as a careless human selection does; each project's
positions are written in one of the four schemes vendors use. For each
source we count whether the positions read back are exact, wrong (shifted) or
refused. Baseline, in the same run: reading every file as the standard says
(code points of the file as stored), as qdakit did before offset detection.

    python benchmarks/refi_offsets.py [--quick]

Ends with one line ``RESULT exact_detected=... wrong_detected=... refused=... exact_standard=...``.
"""

from __future__ import annotations

import argparse
import random
import re

import numpy as np

from qdakit.io.refi.offsets import SCHEMES, choose_scheme, fit_schemes, pooled_scheme

WORDS = ("the council meeting funding trust café naïve réunion Zsófia Őszintén 我们 每周 开会 资金 😀 💸 🏛️ 👍🏽 "
         "“quoted” well, yes. no! Ok? it’s").split()


def make_text(rng: random.Random, lines: int) -> str:
    return "\n\n".join(("Ann: " if i % 2 else "Interviewer: ")
                       + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25))) for i in range(lines)) + "\n"


def encode(lf: str, pos: int, scheme: str) -> int:
    unit, lf_mode = SCHEMES[scheme]
    prefix = lf[:pos] if lf_mode else lf[:pos].replace("\n", "\r\n")
    return len(prefix.encode("utf-16-le")) // 2 if unit == "utf16" else len(prefix)


def run(projects: int, docs: int, ks: tuple[int, ...], sloppy: float, seed: int) -> dict[tuple[int, str], list[int]]:
    rng = random.Random(seed)
    out: dict[tuple[int, str], list[int]] = {}
    for _ in range(projects):
        for k in ks:
            for scheme in SCHEMES:
                made = []
                for _ in range(docs):
                    lf = make_text(rng, rng.randint(1, 20))
                    words = [m.span() for m in re.finditer(r"\S+", lf)]
                    truth: list[int] = []
                    for _ in range(k):
                        i = rng.randrange(len(words))
                        s, e = words[i][0], words[min(len(words) - 1, i + rng.randint(0, 6))][1]
                        if rng.random() < sloppy:
                            s = min(e - 1, s + rng.randint(1, 3))
                        truth += [s, e]
                    made.append((lf.replace("\n", "\r\n"), truth, [encode(lf, p, scheme) for p in truth]))
                fitted = [fit_schemes(stored, pos) for stored, _, pos in made]
                pooled = pooled_scheme(fitted, "codepoints")
                order = [s for s in (pooled, "codepoints") if s]
                row = out.setdefault((k, scheme), [0, 0, 0, 0])  # exact, wrong, refused, exact by the standard
                for (_, truth, _), (fits, chance) in zip(made, fitted, strict=True):
                    found = choose_scheme(fits, chance, order, pooled)
                    if found is None or not found.aligned:
                        row[2] += 1
                    else:
                        index = next(f.index for f in fits if f.name == found.name)
                        row[0 if index.tolist() == truth else 1] += 1
                    standard = next((f for f in fits if f.name == "codepoints"), None)
                    row[3] += standard is not None and np.array_equal(standard.index, truth)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer projects (under a minute)")
    ap.add_argument("--docs", type=int, default=20, help="documents per project")
    ap.add_argument("--sloppy", type=float, default=0.1, help="share of selections starting mid-word")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    projects = 5 if args.quick else 40
    res = run(projects, args.docs, (1, 3, 10), args.sloppy, args.seed)
    print(f"{projects} projects x {args.docs} documents per cell, {args.sloppy:.0%} of selections start mid-word")
    print(f"{'k/doc':>5} {'written as':<14} {'exact':>6} {'wrong':>6} {'refused':>8} {'standard exact':>15}")
    for (k, scheme), (exact, wrong, refused, std) in sorted(res.items()):
        print(f"{k:>5} {scheme:<14} {exact:>6} {wrong:>6} {refused:>8} {std:>15}")
    tot = np.array(list(res.values())).sum(axis=0)
    n = tot[:3].sum()
    print(f"RESULT exact_detected={tot[0] / n:.4f} wrong_detected={tot[1] / n:.4f} refused={tot[2] / n:.4f} "
          f"exact_standard={tot[3] / n:.4f} sources={n}")


if __name__ == "__main__":
    main()
