"""Benchmark: Krippendorff's alpha, qdakit against the ``krippendorff`` package.

Times nominal and interval alpha on 10^4, 10^5 and 10^6 units x 5 coders with
ratings 1..5 and 10% of them missing, measuring the baseline (the
``krippendorff`` package, which takes coders x units) in the same run. Prints a
table and ends with one machine-readable line::

    RESULT alpha_speedup_1e6=... max_abs_diff=... qdakit_seconds_1e6=...

Usage: ``python benchmarks/agreement.py [--quick]`` (``--quick``: 10^4 and
10^5 units only, under a minute; the RESULT keys then name 1e5).
"""

from __future__ import annotations

import importlib.metadata
import argparse
import math
import time
from functools import partial

import numpy as np

from qdakit.agreement import krippendorff_alpha

try:
    import krippendorff
except ImportError as exc:  # pragma: no cover - the baseline is a test dependency
    raise SystemExit("the baseline needs the krippendorff package: pip install krippendorff") from exc

LEVELS = ("nominal", "interval")
CODERS = 5
MISSING = 0.10


def make_data(n_units: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=(n_units, 1))
    noise = rng.integers(-1, 2, size=(n_units, CODERS)) * (rng.random((n_units, CODERS)) < 0.3)
    data = np.clip(truth + noise, 1, 5).astype(float)
    data[rng.random(data.shape) < MISSING] = np.nan
    return data


def best_time(func, repeats: int) -> tuple[float, float]:
    best, value = math.inf, math.nan
    for _ in range(repeats):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^4 and 10^5 units only (under a minute)")
    args = parser.parse_args()
    sizes = (10**4, 10**5) if args.quick else (10**4, 10**5, 10**6)

    print(f"Krippendorff's alpha, units x {CODERS} coders, {MISSING:.0%} missing; baseline: "
          f"krippendorff {importlib.metadata.version('krippendorff')}")
    header = (f"{'units':>9} {'level':>9} {'baseline s':>11} {'qdakit s':>9} {'speedup':>8} "
              f"{'alpha':>10} {'abs diff':>9}")
    print(header)
    print("-" * len(header))
    speedups: dict[tuple[int, str], float] = {}
    ours_seconds: dict[int, float] = {}
    max_diff = 0.0
    for n_units in sizes:
        data = make_data(n_units)
        by_coder = np.ascontiguousarray(data.T)
        base_repeats = 3
        for level in LEVELS:
            baseline = partial(krippendorff.alpha, reliability_data=by_coder, level_of_measurement=level)
            t_base, v_base = best_time(baseline, base_repeats)
            t_ours, v_ours = best_time(lambda d=data, lv=level: krippendorff_alpha(d, lv).value, 5)
            diff = abs(v_base - v_ours)
            max_diff = max(max_diff, diff)
            speedups[(n_units, level)] = t_base / t_ours
            ours_seconds[n_units] = max(ours_seconds.get(n_units, 0.0), t_ours)
            print(f"{n_units:>9,} {level:>9} {t_base:>11.4f} {t_ours:>9.4f} {t_base / t_ours:>7.1f}x "
                  f"{v_ours:>10.6f} {diff:>9.1e}")
    top = sizes[-1]
    tag = f"1e{round(math.log10(top))}"
    worst = min(speedups[(top, level)] for level in LEVELS)
    print()
    print("speedup = baseline seconds / qdakit seconds (best of repeats); alpha values must agree to 1e-9")
    print(
        f"RESULT alpha_speedup_{tag}={worst:.1f} max_abs_diff={max_diff:.2e} "
        + " ".join(f"{level}_speedup_{tag}={speedups[(top, level)]:.1f}" for level in LEVELS)
        + f" qdakit_seconds_{tag}={ours_seconds[top]:.3f}"
    )


if __name__ == "__main__":
    main()
