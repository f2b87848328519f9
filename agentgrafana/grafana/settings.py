"""Connection settings for a Grafana instance, from command-line flags and the environment.

Secrets (the token and the basic-auth password) come from the environment only, never from flags,
so they do not show up in process listings or shell history. They never appear in a repr: use
`GrafanaSettings.scrub` on any text that may have passed near them.
"""
from __future__ import annotations

import argparse
import base64
import ipaddress
import os
from dataclasses import dataclass, fields
from typing import Mapping
from urllib.parse import urlsplit

OUTPUT_FORMATS = ("text", "json")
# Requests in flight at once. Each folder and dashboard costs one round trip, so a push waits about
# latency x objects / concurrency: at 20 ms per request, creating 196 folders and 200 dashboards waits 2 s
# with 4 in flight (plus the client's own work per dashboard, which the waits hide only partly), 1 s with 8.
# Eight is a light load for Grafana: a browser showing one dashboard sends its panel queries six or more at
# a time, and Terraform runs 10 operations at once by default. A throttling proxy's 429 is retried with
# backoff; --concurrency lowers the default.
DEFAULT_CONCURRENCY = 8
REPORT_FORMATS = OUTPUT_FORMATS + ("markdown",)  # `diff` offers markdown for pull-request comments
_REDACTED = "***"


class SettingsError(ValueError):
    """The connection settings are unusable (a usage or configuration error: exit code 2)."""


@dataclass(frozen=True, repr=False)
class GrafanaSettings:
    """Where Grafana is, how to authenticate, and how patient to be with it."""

    url: str
    token: str | None = None
    user: str | None = None
    password: str | None = None
    org_id: int | None = None
    ca_bundle: str | None = None
    timeout: float = 10.0
    insecure_skip_verify: bool = False
    allow_insecure_http: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    output_format: str = "text"
    retries: int = 5
    backoff_factor: float = 0.5
    backoff_jitter: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0

    def __post_init__(self) -> None:
        validate(self)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("token", "password") and value is not None:
                value = _REDACTED
            shown.append(f"{f.name}={value!r}")
        return f"GrafanaSettings({', '.join(shown)})"

    __str__ = __repr__

    @property
    def has_credentials(self) -> bool:
        return bool(self.token or self.user)

    @property
    def verify(self) -> bool | str:
        """The `verify` argument for requests: a CA bundle path, or whether to check certificates."""
        if self.insecure_skip_verify:
            return False
        return self.ca_bundle or True

    def secrets(self) -> list[str]:
        """Every form in which a credential could leak into text, longest first."""
        found: list[str] = []
        if self.token:
            found.append(self.token)
        if self.password:
            found.append(self.password)
            basic = f"{self.user or ''}:{self.password}".encode()
            found.append(base64.b64encode(basic).decode())
        return sorted(found, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """`text` with every credential replaced by ***."""
        for secret in self.secrets():
            text = text.replace(secret, _REDACTED)
        return text


def is_loopback(host: str) -> bool:
    """True for localhost and loopback IP literals; never resolves a name."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate(s: GrafanaSettings) -> None:
    """Raise SettingsError unless the settings are coherent and safe to use."""
    parts = urlsplit(s.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError("the Grafana URL must look like http(s)://host[:port][/path]")
    if parts.username or parts.password:
        raise SettingsError("do not put credentials in the Grafana URL; use GRAFANA_TOKEN or GRAFANA_USER/GRAFANA_PASSWORD")
    if parts.query or parts.fragment:
        raise SettingsError("the Grafana URL must not have a query or fragment")
    if s.token and any(c.isspace() or not c.isprintable() for c in s.token):
        raise SettingsError("GRAFANA_TOKEN contains spaces or control characters")
    if s.token and (s.user or s.password):
        raise SettingsError("set either GRAFANA_TOKEN or GRAFANA_USER/GRAFANA_PASSWORD, not both")
    if bool(s.user) != bool(s.password):
        raise SettingsError("GRAFANA_USER and GRAFANA_PASSWORD must be set together")
    if s.org_id is not None and s.org_id < 1:
        raise SettingsError("the organization id must be a positive integer")
    if s.timeout <= 0:
        raise SettingsError("--timeout must be positive")
    if not 1 <= s.concurrency <= 64:
        raise SettingsError("--concurrency must be between 1 and 64")
    if s.output_format not in REPORT_FORMATS:
        raise SettingsError(f"--format must be one of {', '.join(REPORT_FORMATS)}")
    if s.retries < 0:
        raise SettingsError("retries must not be negative")
    if s.ca_bundle and s.insecure_skip_verify:
        raise SettingsError("--ca-bundle and --insecure-skip-verify contradict each other")
    if s.ca_bundle and not os.path.isfile(s.ca_bundle):
        raise SettingsError(f"CA bundle not found: {s.ca_bundle}")
    if parts.scheme == "http" and s.has_credentials and not s.allow_insecure_http and not is_loopback(parts.hostname):
        raise SettingsError(
            f"refusing to send credentials over plain http to {parts.hostname}; "
            "use https, or pass --allow-insecure-http if you accept the risk"
        )


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that say how to reach Grafana (secrets come from the environment only)."""
    g = parser.add_argument_group(
        "Grafana connection",
        "credentials come from GRAFANA_TOKEN (Bearer) or GRAFANA_USER and GRAFANA_PASSWORD (basic)",
    )
    g.add_argument("--url", help="Grafana base URL (default: $GRAFANA_URL)")
    g.add_argument("--org-id", type=int, help="organization id, sent as X-Grafana-Org-Id (default: $GRAFANA_ORG_ID)")
    g.add_argument("--ca-bundle", help="CA bundle to verify Grafana's certificate (default: $GRAFANA_CA_BUNDLE)")
    g.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request (default: 10)")
    g.add_argument("--insecure-skip-verify", action="store_true", help="do not verify Grafana's TLS certificate")
    g.add_argument(
        "--allow-insecure-http", action="store_true",
        help="allow credentials over plain http:// to a host other than localhost",
    )
    g.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY,
        help=f"requests in flight at once, for folders and dashboards (default: {DEFAULT_CONCURRENCY})",
    )
    g.add_argument("--format", choices=OUTPUT_FORMATS, default="text", dest="format", help="report format")


def settings_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> GrafanaSettings:
    """Combine flags (which win) with GRAFANA_* environment variables; raise SettingsError on bad input."""
    env = os.environ if environ is None else environ

    def pick(flag: object, name: str) -> str | None:
        if flag is not None:
            return str(flag)
        value = env.get(name, "").strip()
        return value or None

    url = pick(getattr(args, "url", None), "GRAFANA_URL")
    if not url:
        raise SettingsError("no Grafana URL: pass --url or set GRAFANA_URL")
    org = pick(getattr(args, "org_id", None), "GRAFANA_ORG_ID")
    try:
        org_id = int(org) if org is not None else None
    except ValueError:
        raise SettingsError(f"GRAFANA_ORG_ID must be an integer, got {org!r}") from None
    return GrafanaSettings(
        url=url.rstrip("/"),
        token=pick(None, "GRAFANA_TOKEN"),
        user=pick(None, "GRAFANA_USER"),
        password=env.get("GRAFANA_PASSWORD") or None,  # not stripped: spaces may be part of it
        org_id=org_id,
        ca_bundle=pick(getattr(args, "ca_bundle", None), "GRAFANA_CA_BUNDLE"),
        timeout=getattr(args, "timeout", 10.0),
        insecure_skip_verify=getattr(args, "insecure_skip_verify", False),
        allow_insecure_http=getattr(args, "allow_insecure_http", False),
        concurrency=getattr(args, "concurrency", DEFAULT_CONCURRENCY),
        output_format=getattr(args, "format", "text"),
    )
