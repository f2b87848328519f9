"""A throw-away Prometheus: promtool backfill, a server on 127.0.0.1 with an ephemeral port, HTTP queries.

`live_prometheus` is the one entry point most callers need: it backfills a simulated dataset, starts
Prometheus on a temporary data directory with the generated rule files, backfills the recording rules (level
by level: promtool cannot evaluate a rule that reads another rule's output before that output exists) and
always stops the server, also when the caller raises.

Prometheus 2.42 loads overlapping blocks by default (the allow-overlapping flag is deprecated since 2.39), but
only rescans its data directory about once a minute, so it is restarted after each rule backfill.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from .simulator import Dataset

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
RECORD_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


class PrometheusError(RuntimeError):
    """Prometheus or promtool failed; the message carries the tail of its output."""


class QueryError(PrometheusError):
    """Prometheus rejected a query (bad PromQL, timeout, ...)."""


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], timeout: float) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PrometheusError(f"{' '.join(cmd[:4])} timed out after {timeout:.0f} s") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise PrometheusError(f"{' '.join(cmd[:4])} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def backfill_openmetrics(promtool: str, samples: Path, data_dir: Path, timeout: float = 120) -> None:
    """`promtool tsdb create-blocks-from openmetrics FILE DIR`."""
    _run([promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(samples), str(data_dir)], timeout)


def backfill_rules(
    promtool: str,
    url: str,
    rule_files: list[Path],
    start: int,
    end: int,
    out_dir: Path,
    eval_interval: str = "60s",
    timeout: float = 120,
) -> None:
    """`promtool tsdb create-blocks-from rules`: evaluate recording rules over past data into blocks."""
    _run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "rules",
            "--quiet",
            f"--url={url}",
            f"--start={start}",
            f"--end={end}",
            f"--output-dir={out_dir}",
            f"--eval-interval={eval_interval}",
            *map(str, rule_files),
        ],
        timeout,
    )


def write_config(
    path: Path, rule_files: list[Path], scrape_interval: str = "15s", evaluation_interval: str = "1m"
) -> None:
    """A prometheus.yml that scrapes nothing and loads `rule_files`."""
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval},
        "rule_files": [str(p) for p in rule_files],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


class QueryApi:
    """Prometheus' HTTP query API over `self.session` at `self.url`: what the live check and doctor run."""

    session: requests.Session
    timeout: float = 60.0

    @property
    def url(self) -> str:
        raise NotImplementedError

    def _api(self, path: str, params: dict[str, Any]) -> Any:
        try:
            resp = self.session.post(f"{self.url}/api/v1/{path}", data=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise QueryError(f"request failed: {exc}") from None
        try:
            body = resp.json()
        except ValueError:
            raise QueryError(f"HTTP {resp.status_code}: {resp.text[:300]}") from None
        if body.get("status") != "success":
            raise QueryError(f"{body.get('errorType', 'error')}: {body.get('error', resp.text[:300])}")
        return body["data"]

    def api_get(self, path: str, params: dict[str, Any]) -> Any:
        """GET an API path (label values, series, ...); returns `data`."""
        try:
            resp = self.session.get(f"{self.url}/api/v1/{path}", params=params, timeout=self.timeout)
            body = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise QueryError(f"request failed: {exc}") from None
        if body.get("status") != "success":
            raise QueryError(f"{body.get('errorType', 'error')}: {body.get('error', '')}")
        return body["data"]

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """Matrix result: [{"metric": {...}, "values": [[ts, "value"], ...]}, ...]."""
        data = self._api("query_range", {"query": expr, "start": start, "end": end, "step": step})
        return list(data.get("result", []))

    def query(self, expr: str, at: float) -> Any:
        return self._api("query", {"query": expr, "time": at})

    def version(self) -> str:
        try:
            return str(self.session.get(f"{self.url}/api/v1/status/buildinfo", timeout=5).json()["data"]["version"])
        except (requests.RequestException, ValueError, KeyError):
            return "?"


@dataclass
class RemotePrometheus(QueryApi):
    """A user's Prometheus (`agentgrafana doctor`): its URL and a session carrying auth and TLS settings."""

    address: str
    session: requests.Session
    timeout: float = 30.0

    @property
    def url(self) -> str:
        return self.address.rstrip("/")


@dataclass
class Prometheus(QueryApi):
    """One Prometheus process on 127.0.0.1; `start`/`stop`/`restart`, and the query API."""

    binary: str
    config_file: Path
    data_dir: Path
    log_file: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = READY_TIMEOUT) -> None:
        last: Exception | None = None
        for _ in range(3):  # another process may grab the free port between probe and bind
            self.port = free_port()
            try:
                self._start_once(timeout)
                return
            except PrometheusError as exc:
                last = exc
                self.stop()
                if "address already in use" not in str(exc):
                    raise
        raise last  # type: ignore[misc]

    def _start_once(self, timeout: float) -> None:
        cmd = [
            self.binary,
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.data_dir}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=15d",
            "--log.level=warn",
        ]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PrometheusError(f"prometheus exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.session.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise PrometheusError(f"prometheus not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate, wait, kill if it does not exit in time. Safe to call twice."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> Prometheus:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def finite_points(series: dict[str, Any]) -> int:
    """How many values of one result series are finite numbers."""
    count = 0
    for _, value in series.get("values") or ([series["value"]] if "value" in series else []):
        v = float(value)
        if math.isfinite(v):
            count += 1
    return count


# --- rule files ------------------------------------------------------------------------------------------------


def rule_levels(rule_files: dict[str, bytes]) -> list[dict[str, bytes]]:
    """Recording rules split into dependency levels: level 0 reads raw series only, level n reads level < n.

    Each level is a set of rule files (same file and group names, only that level's recording rules).
    """
    docs = {path: yaml.safe_load(body) or {} for path, body in rule_files.items()}
    exprs: dict[str, str] = {}
    for doc in docs.values():
        for group in doc.get("groups") or []:
            for rule in group.get("rules") or []:
                if "record" in rule:
                    exprs[str(rule["record"])] = str(rule["expr"])
    level: dict[str, int] = {}

    def level_of(record: str, seen: frozenset[str] = frozenset()) -> int:
        if record not in level:
            deps = {n for n in RECORD_NAME_RE.findall(exprs[record]) if n in exprs and n != record}
            level[record] = 1 + max((level_of(d, seen | {record}) for d in deps - seen), default=-1)
        return level[record]

    depth = max((level_of(r) for r in exprs), default=-1) + 1
    out: list[dict[str, bytes]] = []
    for n in range(depth):
        files: dict[str, bytes] = {}
        for path, doc in docs.items():
            groups = []
            for group in doc.get("groups") or []:
                rules = [r for r in group.get("rules") or [] if "record" in r and level[str(r["record"])] == n]
                if rules:
                    groups.append({**{k: v for k, v in group.items() if k != "rules"}, "rules": rules})
            if groups:
                files[path] = yaml.safe_dump({"groups": groups}, sort_keys=False).encode()
        out.append(files)
    return out


def _group_interval(rule_files: dict[str, bytes]) -> str:
    for body in rule_files.values():
        for group in (yaml.safe_load(body) or {}).get("groups") or []:
            if group.get("interval"):
                return str(group["interval"])
    return "60s"


# --- the whole setup -----------------------------------------------------------------------------------------


@dataclass
class LiveServer:
    """A running Prometheus (or VictoriaMetrics) serving a dataset, with the timings of getting there."""

    prometheus: QueryApi
    dataset: Dataset
    workdir: Path
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # setup steps that failed under keep_going


@contextmanager
def live_prometheus(
    dataset: Dataset,
    rule_files: dict[str, bytes],
    prometheus_binary: str = "prometheus",
    promtool: str = "promtool",
    workdir: Path | None = None,
    keep_going: bool = False,
) -> Iterator[LiveServer]:
    """Backfill `dataset`, start Prometheus with `rule_files` (path -> YAML), backfill their recording rules.

    With `keep_going`, a failed recording-rule backfill is recorded in `errors` instead of raised, so the
    checks still run. The server is stopped and the temporary directory removed on exit, whatever happens.
    """
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="agentgrafana-live-")) if workdir is None else workdir
    timings: dict[str, float] = {}
    prom: Prometheus | None = None
    try:
        data_dir, rules_dir = work / "data", work / "rules"
        data_dir.mkdir(parents=True, exist_ok=True)
        samples = work / "samples.om"
        samples.write_bytes(dataset.text)
        t0 = time.monotonic()
        backfill_openmetrics(promtool, samples, data_dir)
        timings["backfill samples"] = time.monotonic() - t0
        samples.unlink()

        paths = []
        for rel, body in sorted(rule_files.items()):
            path = rules_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            paths.append(path)
        config = work / "prometheus.yml"
        write_config(config, paths, f"{dataset.step}s")
        prom = Prometheus(prometheus_binary, config, data_dir, work / "prometheus.log")
        t0 = time.monotonic()
        prom.start()
        timings["start prometheus"] = time.monotonic() - t0

        levels = rule_levels(rule_files)
        interval = _group_interval(rule_files)
        t0 = time.monotonic()
        errors: list[str] = []
        for n, level_files in enumerate(levels):
            level_paths = []
            for rel, body in sorted(level_files.items()):
                path = work / f"level{n}" / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)
                level_paths.append(path)
            out = work / f"blocks{n}"
            try:
                backfill_rules(promtool, prom.url, level_paths, dataset.start, dataset.end, out, interval)
            except PrometheusError as exc:
                if not keep_going:
                    raise
                errors.append(f"recording-rule backfill (level {n}) failed: {exc}")
            for block in sorted(out.iterdir()) if out.exists() else []:
                os.replace(block, data_dir / block.name)
            prom.restart()
        timings["backfill rules"] = time.monotonic() - t0
        timings["rule levels"] = float(len(levels))
        yield LiveServer(prom, dataset, work, timings, errors)
    finally:
        if prom is not None:
            prom.stop()
        if own:
            shutil.rmtree(work, ignore_errors=True)
