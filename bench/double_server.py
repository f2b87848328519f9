"""The Grafana API double in a process of its own, driven over stdin/stdout (one JSON line per answer).

Grafana does not share the pushing process's interpreter, so neither should its stand-in: in-process,
the double's request handling would compete with the client for the GIL and be counted as push time.

    python bench/double_server.py --latency 0.02
    -> {"url": ..., "token": ...}
    stdin "reset" -> {"ok": true}           forget the request log
    stdin "stats" -> {"requests": {"GET": n, ...}, "writes": n, "errors": [...]}
    stdin EOF or "quit" -> exit
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from grafana_double import GrafanaDouble  # noqa: E402  (a test helper, not part of the package)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    args = ap.parse_args()
    with GrafanaDouble(latency=args.latency) as double:
        _say({"url": double.url, "token": double.token})
        for line in sys.stdin:
            command = line.strip()
            if command == "reset":
                double.reset_log()
                _say({"ok": True})
            elif command == "stats":
                methods = Counter(r.method for r in double.calls())
                _say({"requests": dict(methods), "writes": len(double.writes()), "errors": double.errors[:5]})
            elif command == "quit":
                break
    return 0


def _say(doc: dict[str, object]) -> None:
    print(json.dumps(doc), flush=True)


if __name__ == "__main__":
    sys.exit(main())
