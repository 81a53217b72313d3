#!/usr/bin/env python3
"""Time commands in alternation, to compare them on a shared, noisy machine.

    python3 bench/alternate.py RUNS "CMD A" "CMD B" [...]

Each round runs every command once, in the given order on even rounds and reversed on odd
rounds, so that drift in the machine's load falls on all of them alike. Output is discarded.
Prints, per command, the median, mean, 10th and 90th percentile wall time in milliseconds.
A command is split on whitespace (no shell); use `env VAR=1 cmd …` to set a variable.

Used for the before/after figures in bench/README.md, for example:

    python3 bench/alternate.py 16 \
        "/tmp/mesh-before check --discover /tmp/mono --format json" \
        "target/release/mesh check --discover /tmp/mono --format json"
"""

import statistics
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runs = int(sys.argv[1])
    labels = sys.argv[2:]
    commands = [label.split() for label in labels]
    times = [[] for _ in commands]
    for round_ in range(runs):
        order = range(len(commands)) if round_ % 2 == 0 else reversed(range(len(commands)))
        for i in order:
            start = time.perf_counter()
            subprocess.run(commands[i], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[i].append((time.perf_counter() - start) * 1000)
    width = max(len(label) for label in labels)
    for label, t in zip(labels, times):
        t.sort()
        print(
            f"{label:<{width}}  median {statistics.median(t):9.2f}  mean {statistics.mean(t):9.2f}"
            f"  p10 {t[len(t) // 10]:9.2f}  p90 {t[9 * len(t) // 10]:9.2f}  ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
