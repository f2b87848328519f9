"""The live check on VictoriaMetrics: the simulated data imported, the recording rules replayed by vmalert.

Teams that outgrow one Prometheus move to VictoriaMetrics; its MetricsQL and vmalert differ from PromQL and
Prometheus' rule manager in small ways. This runs the same checks (`check.check`) against a single-node
`victoria-metrics` on 127.0.0.1 (Debian's package): the OpenMetrics text is imported through
`/api/v1/import/prometheus` (timestamps in milliseconds), and the generated rule files are evaluated over the
simulated window by `vmalert -replay.*`, level by level (a rule that reads another rule runs after it), with
the results written back by remote write. Everything is stopped and removed on exit.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from .prometheus import (
    LiveServer,
    PrometheusError,
    RemotePrometheus,
    free_port,
    rule_levels,
)
from .simulator import Dataset

READY_TIMEOUT = 30.0
IMPORT_CHUNK = 20_000  # lines per import request


def _ms_text(text: bytes) -> Iterator[bytes]:
    """OpenMetrics samples (seconds) as Prometheus text lines (milliseconds), in chunks; comments dropped."""
    chunk: list[str] = []
    for line in text.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, ts = line.rpartition(" ")
        chunk.append(f"{head} {int(float(ts) * 1000)}")
        if len(chunk) >= IMPORT_CHUNK:
            yield ("\n".join(chunk) + "\n").encode()
            chunk = []
    if chunk:
        yield ("\n".join(chunk) + "\n").encode()


def _rfc3339(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@contextmanager
def live_victoriametrics(
    dataset: Dataset,
    rule_files: dict[str, bytes],
    binary: str = "victoria-metrics",
    vmalert: str = "vmalert",
) -> Iterator[LiveServer]:
    work = Path(tempfile.mkdtemp(prefix="agentgrafana-vm-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(work / "vm.log", "wb")  # noqa: SIM115 - closed in finally
    timings: dict[str, float] = {}
    proc = subprocess.Popen(
        [
            binary,
            f"-storageDataPath={work / 'data'}",
            f"-httpListenAddr=127.0.0.1:{port}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",  # the simulated window ends now: answer up to its last sample
            "-search.disableCache",
            "-loggerLevel=ERROR",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    session = requests.Session()
    session.trust_env = False
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise PrometheusError(f"victoria-metrics exited with {proc.returncode}: {_tail(work / 'vm.log')}")
            try:
                if session.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise PrometheusError(f"victoria-metrics not ready after {READY_TIMEOUT:.0f} s")
            time.sleep(0.1)
        t0 = time.monotonic()
        for body in _ms_text(dataset.text):
            r = session.post(f"{url}/api/v1/import/prometheus", data=body, timeout=60)
            if r.status_code >= 300:
                raise PrometheusError(f"import failed: HTTP {r.status_code}: {r.text[:300]}")
        session.get(f"{url}/internal/force_flush", timeout=30)
        timings["import samples"] = time.monotonic() - t0
        t0 = time.monotonic()
        for n, level in enumerate(rule_levels(rule_files)):
            paths = []
            for rel, body in sorted(level.items()):
                path = work / f"level{n}" / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)
                paths.append(str(path))
            done = subprocess.run(
                [
                    vmalert,
                    *(f"-rule={p}" for p in paths),
                    f"-datasource.url={url}",
                    f"-remoteWrite.url={url}",
                    f"-replay.timeFrom={_rfc3339(dataset.start)}",
                    f"-replay.timeTo={_rfc3339(dataset.end)}",
                    "-replay.disableProgressBar",
                    "-replay.rulesDelay=0s",
                    # the step of the replayed range queries: the groups' own interval (the default, 5m, would
                    # record one sample per 5 minutes, and the daily spend sums one per minute)
                    "-datasource.queryStep=0",
                    "-loggerLevel=ERROR",
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0:
                raise PrometheusError(f"vmalert replay (level {n}) failed: {(done.stderr or done.stdout)[-1500:]}")
            session.get(f"{url}/internal/force_flush", timeout=30)
        timings["replay rules"] = time.monotonic() - t0
        yield LiveServer(RemotePrometheus(url, session), dataset, work, timings)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return ""
