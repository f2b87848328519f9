"""Keep credentials out of every byte the tool prints: one scrubber, used by the Grafana client and by the
CLI's output streams, so nothing (a server echoing headers, an exception, argparse) can show a secret.

A secret is replaced wherever it appears whole, and so is any run of at least `FRAGMENT` of its characters
in order (what a server or a truncation can leave of it), so no part of it is ever shown.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from typing import TextIO

REDACTED = "***"
FRAGMENT = 6  # shortest run of a secret's characters that is treated as a piece of it
SECRET_ENV = ("GRAFANA_TOKEN", "GRAFANA_PASSWORD", "PROMETHEUS_TOKEN", "PROMETHEUS_PASSWORD")
TOKEN_FILE_ENV = ("GRAFANA_TOKEN_FILE", "PROMETHEUS_TOKEN_FILE")


def credential_forms(token: str | None = None, user: str | None = None, password: str | None = None) -> list[str]:
    """Every form in which these credentials travel: as given, and basic auth's base64."""
    found = [s for s in (token, password) if s]
    if password:
        found.append(base64.b64encode(f"{user or ''}:{password}".encode()).decode())
    return found


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Credentials the environment holds (tokens, passwords, token files' contents, basic-auth forms)."""
    env = os.environ if environ is None else environ
    found: list[str] = []
    for name in SECRET_ENV:
        if env.get(name):
            found.append(env[name])
            found.append(env[name].strip())
    for name in TOKEN_FILE_ENV:
        path = env.get(name)
        if path:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    found.append(fh.read(65536).strip())
            except OSError:
                pass
    for user_var, password_var in (("GRAFANA_USER", "GRAFANA_PASSWORD"), ("PROMETHEUS_USER", "PROMETHEUS_PASSWORD")):
        if env.get(password_var):
            found += credential_forms(user=env.get(user_var, "").strip(), password=env[password_var])
    return [s for s in found if s]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret, and every piece of one of at least FRAGMENT characters, replaced by ***."""
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    for secret in ordered:
        text = text.replace(secret, REDACTED)
    for secret in ordered:
        if len(secret) >= FRAGMENT:
            text = _scrub_fragments(text, secret)
    return text


def _scrub_fragments(text: str, secret: str) -> str:
    """Replace maximal runs of `secret`'s consecutive characters that are FRAGMENT or more long."""
    spans: list[tuple[int, int]] = []
    for i in range(len(secret) - FRAGMENT + 1):
        window = secret[i : i + FRAGMENT]
        start = text.find(window)
        while start != -1:
            lo, hi = start, start + FRAGMENT
            j, k = i, i + FRAGMENT  # extend along the secret in both directions
            while lo > 0 and j > 0 and text[lo - 1] == secret[j - 1]:
                lo, j = lo - 1, j - 1
            while hi < len(text) and k < len(secret) and text[hi] == secret[k]:
                hi, k = hi + 1, k + 1
            spans.append((lo, hi))
            start = text.find(window, start + 1)
    if not spans:
        return text
    out, pos = [], 0
    for lo, hi in sorted(spans):
        if hi <= pos:
            continue
        out.append(text[pos : max(lo, pos)])
        if lo >= pos:
            out.append(REDACTED)
        pos = hi
    out.append(text[pos:])
    return "".join(out)


class ScrubbingStream:
    """A text stream that scrubs `secrets` from whole lines before they reach `inner`.

    Buffering to the end of a line keeps a secret written in two pieces from slipping through.
    """

    def __init__(self, inner: TextIO, secrets: Iterable[str]) -> None:
        self.inner = inner
        self.secrets = [s for s in secrets if s]
        self._pending = ""

    def write(self, text: str) -> int:
        if not self.secrets:
            return self.inner.write(text)
        self._pending += text
        if "\n" in self._pending:
            head, _, self._pending = self._pending.rpartition("\n")
            self.inner.write(scrub(head + "\n", self.secrets))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.inner.write(scrub(self._pending, self.secrets))
            self._pending = ""
        self.inner.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.inner, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)
