#!/usr/bin/python3
"""Compare two Google Benchmark JSON outputs (tools/bench compare OLD NEW).

For each benchmark present in both, prints the old and new time per
iteration (real time for *_RoundTrip/real_time, CPU time otherwise) and the
change in percent; negative is faster. Aggregates (mean/median/stddev rows
from --benchmark_repetitions) are compared by their own names. Exit 2 on
unreadable input.
"""
import json
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path):
    try:
        with open(path) as f:
            data = json.load(f)
        out = {}
        for b in data["benchmarks"]:
            scale = UNIT_NS[b.get("time_unit", "ns")]
            key = "real_time" if b["name"].endswith("/real_time") else "cpu_time"
            out[b["name"]] = b[key] * scale
        return out
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit(f"bench compare: {path}: {e}")


def compare(old, new):
    rows = []
    for name in old:
        if name in new and old[name] > 0:
            rows.append((name, old[name], new[name], (new[name] - old[name]) / old[name] * 100.0))
    return rows


def main(argv):
    if len(argv) != 3:
        print("usage: compare.py OLD.json NEW.json", file=sys.stderr)
        return 2
    try:
        old, new = load(argv[1]), load(argv[2])
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2
    rows = compare(old, new)
    width = max([len(r[0]) for r in rows] + [9])
    print(f"{'benchmark':<{width}} {'old ns':>12} {'new ns':>12} {'change':>8}")
    for name, o, n, pct in rows:
        print(f"{name:<{width}} {o:>12.1f} {n:>12.1f} {pct:>+7.1f}%")
    only = sorted(set(old) ^ set(new))
    if only:
        print(f"(in one file only: {', '.join(only)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
