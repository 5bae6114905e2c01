"""How fast the workbench answers: a 1,000-turn transcript page, and one review decision round trip.

A synthetic project (our own words, emoji and CJK; one transcript of T turns, every
tenth turn coded by two coders with a span, a pending suggestion on every other turn)
served in-process through Starlette's test client, so the figures are the server's
work (routing, project reads, Jinja2 rendering), not the network's. Baselines, in the
same run: reading the same turns with ``Project.segments`` (the page's data alone),
and making the same decision with ``Project.decide`` directly (the store alone).

Targets (issue 29): the 1,000-turn page renders in under 1 s, a decision round-trips
(POST, redirect, next suggestion's page) in under 100 ms on the 2-core development machine.

    python benchmarks/web.py [--quick] [--turns 1000] [--repeat 7]

Ends with ``RESULT page_s=... page_vs_read=... decision_ms=... decision_vs_direct=...``.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from qdakit import Code, Codebook, Project, Segment, Suggestion, Transcript

WORDS = ("the council partners meeting funding staff time trust café réunion 协作 资金 😀 👍🏽 "
         "evaluation leadership vision community volunteers budget").split()
CODES = ["Communication", "Balance of resources", "Clear leadership", "Aligned vision", "Evaluation"]


def build(path: Path, turns: int, seed: int = 1) -> Project:
    rng = random.Random(seed)
    parts, segs, pos = [], [], 0
    for i in range(turns):
        speaker = "Interviewer" if i % 2 == 0 else "Ann"
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60)))
        prefix = ("\n\n" if i else "") + f"{speaker}: "
        parts.append(prefix + text)
        start = pos + len(prefix)
        segs.append(Segment(f"T#{i}", "T", i, speaker, text, start, start + len(text)))
        pos = start + len(text)
    p = Project.create(path)
    p.add_transcripts([(Transcript("T", "T", "".join(parts)), segs)])
    p.add_transcripts([(Transcript("U", "U", "Ann: one more turn"), [Segment("U#0", "U", 0, "Ann", "one more turn",
                                                                              5, 18)])])
    p.load_codebook(Codebook([Code(c, description=f"{c} in the partnership") for c in CODES]))
    for s in segs[1::10]:
        for coder in ("JR", "SM"):
            p.code(s.id, rng.choice(CODES), coder, start=s.start, end=s.start + max(1, (s.end - s.start) // 2))
    p.add_suggestions([Suggestion(s.id, rng.choice(CODES), rng.random(), "bench", "zero-shot")
                       for s in segs[1::2]])
    return p


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm up (templates compiled, pages cached by SQLite)
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="300 turns, 3 repeats")
    ap.add_argument("--turns", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    turns, repeat = (300, 3) if args.quick else (args.turns, args.repeat)

    from starlette.testclient import TestClient

    from qdakit.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        project = build(Path(tmp) / "bench.qdakit", turns)
        token = "bench-token"
        app = create_app(project, "JR", token=token, hosts={"testserver"}, port=1)
        with TestClient(app) as c:
            c.get(f"/transcripts?token={token}")
            csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', c.get("/transcripts").text).group(1)

            def page() -> None:
                r = c.get("/transcripts/T")
                assert r.status_code == 200 and r.text.count('<article class="turn') == turns

            page_t = timed(page, repeat)
            read_t = timed(lambda: project.segments("T"), repeat)

            pending = [int(i) for i in project.suggestions(status="pending")["id"]]
            it = iter(pending)

            def decide_http() -> None:
                r = c.post("/review/decide", data={"csrf": csrf, "suggestion_id": str(next(it)), "action": "reject",
                                                   "order": "transcript"})
                assert r.status_code == 200 and "Saved: reject" in r.text

            decide_t = timed(decide_http, repeat)

            def decide_direct() -> None:
                project.decide(next(it), "reject", "SM")

            direct_t = timed(decide_direct, repeat)
        project.close()

    med = statistics.median
    rows = [
        ("transcript page (server render)", f"{turns} turns", med(page_t), "Project.segments (data alone)", med(read_t)),
        ("review decision round trip", "POST + next page", med(decide_t), "Project.decide (store alone)", med(direct_t)),
    ]
    print(f"{'what':34} {'size':18} {'median':>10} {'baseline':32} {'median':>10} {'ratio':>7}")
    for what, size, t, base, b in rows:
        print(f"{what:34} {size:18} {t * 1000:8.1f}ms {base:32} {b * 1000:8.1f}ms {t / b:7.1f}")
    print(f"targets: page < 1000 ms ({'met' if med(page_t) < 1 else 'MISSED'}), "
          f"decision < 100 ms ({'met' if med(decide_t) < 0.1 else 'MISSED'})")
    print(f"RESULT page_s={med(page_t):.3f} page_vs_read={med(page_t) / med(read_t):.1f} "
          f"decision_ms={med(decide_t) * 1000:.1f} decision_vs_direct={med(decide_t) / med(direct_t):.1f} turns={turns}")


if __name__ == "__main__":
    main()
