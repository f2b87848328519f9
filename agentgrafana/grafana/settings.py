"""Connection settings for a Grafana instance, from command-line flags and the environment.

Secrets (the token and the basic-auth password) come from the environment only, never from flags,
so they do not show up in process listings or shell history. They never appear in a repr: use
`GrafanaSettings.scrub` on any text that may have passed near them.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from agentgrafana.secrets import credential_forms
from agentgrafana.secrets import scrub as scrub_secrets

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
    proxy: str | None = None  # the proxy every request goes through (see `proxy_for`)

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
        found = credential_forms(self.token, self.user, self.password)
        if self.proxy:  # a proxy URL may carry its own credentials
            proxy = urlsplit(self.proxy if "://" in self.proxy else f"http://{self.proxy}")
            if proxy.password:
                found += [proxy.password, f"{proxy.username}:{proxy.password}"]
                found += credential_forms(user=proxy.username, password=proxy.password)
        return sorted(set(found), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """`text` with every credential, and any piece of one, replaced by ***."""
        return scrub_secrets(text, self.secrets())


def is_loopback(host: str) -> bool:
    """True for loopback IP literals, and for `localhost` names that resolve only to loopback addresses.

    A name is resolved rather than trusted: `*.localhost` is loopback by RFC 6761 only where the resolver
    says so, and /etc/hosts or DNS may point it elsewhere.
    """
    host = host.strip("[]").lower().rstrip(".")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host != "localhost" and not host.endswith(".localhost"):
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy to send `url` through, from `<scheme>_proxy` / `all_proxy` / `no_proxy` (either case, lower
    case first as curl and requests read them), or None.

    The client uses exactly this proxy (it does not let requests read the environment again), so the
    safety check in `validate` sees what the requests will do.
    """
    env = os.environ if environ is None else environ

    def get(name: str) -> str:
        return (env.get(name) or env.get(name.upper()) or "").strip()

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    no_proxy = [d.strip().lower().lstrip(".").split(":")[0] for d in get("no_proxy").split(",") if d.strip()]
    if "*" in no_proxy or any(host == d or host.endswith("." + d) for d in no_proxy):
        return None
    return get(f"{parts.scheme}_proxy") or get("all_proxy") or None


def validate(s: GrafanaSettings) -> None:
    """Raise SettingsError unless the settings are coherent and safe to use."""
    parts = urlsplit(s.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError("the Grafana URL must look like http(s)://host[:port][/path]")
    if parts.username or parts.password:
        raise SettingsError(
            "do not put credentials in the Grafana URL; use GRAFANA_TOKEN or GRAFANA_USER/GRAFANA_PASSWORD"
        )
    if parts.query or parts.fragment:
        raise SettingsError("the Grafana URL must not have a query or fragment")
    if s.token and not all("!" <= c <= "~" for c in s.token):
        raise SettingsError(
            "the Grafana token must be printable ASCII without spaces (it is sent in an HTTP "
            "header); check GRAFANA_TOKEN or the token file"
        )
    for name, value in (("GRAFANA_USER", s.user), ("GRAFANA_PASSWORD", s.password)):
        if value and (not value.isprintable() or any(ord(c) > 255 for c in value)):
            raise SettingsError(f"{name} must be printable Latin-1 text (it is sent in an HTTP header)")
    if s.user and ":" in s.user:
        raise SettingsError("GRAFANA_USER must not contain ':' (basic auth separates user and password with it)")
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
        raise SettingsError(
            f"CA bundle not found (from --ca-bundle, GRAFANA_CA_BUNDLE or REQUESTS_CA_BUNDLE): {s.ca_bundle[:200]}"
        )
    try:
        _ = parts.port
    except ValueError:
        raise SettingsError("the Grafana URL has an invalid port (1-65535)") from None
    if any(c.isspace() for c in s.url):
        raise SettingsError("the Grafana URL must not contain spaces")
    if s.has_credentials and not s.allow_insecure_http:
        if s.proxy:
            _check_proxy(s.proxy, parts.scheme)
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise SettingsError(
                f"refusing to send credentials over plain http to {parts.hostname}; "
                "use https, or pass --allow-insecure-http if you accept the risk"
            )


def _check_proxy(proxy: str, scheme: str) -> None:
    """Credentials may pass a proxy only inside TLS (https through a CONNECT tunnel) and only to a proxy
    whose own connection is safe: a plain-http Grafana URL would hand the proxy the token in clear."""
    proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    shown = proxy_parts.hostname or "?"
    if scheme == "http":
        raise SettingsError(
            f"refusing to send credentials to a plain http:// Grafana URL through the proxy {shown} (from "
            "HTTP_PROXY/ALL_PROXY): the proxy would read the token in clear; use https, add the host to "
            "NO_PROXY, or pass --allow-insecure-http"
        )
    if proxy_parts.scheme not in ("http", "https") or not proxy_parts.hostname:
        raise SettingsError(f"the proxy in HTTPS_PROXY/ALL_PROXY is not an http(s) URL (host {shown})")
    if proxy_parts.scheme == "http" and not is_loopback(proxy_parts.hostname):
        raise SettingsError(
            f"refusing to send credentials through the plain-http proxy {shown} (from HTTPS_PROXY/ALL_PROXY): "
            "its CONNECT request and any proxy credentials travel in clear; use an https:// or loopback proxy, "
            "add the Grafana host to NO_PROXY, or pass --allow-insecure-http"
        )


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that say how to reach Grafana (secrets come from the environment only)."""
    g = parser.add_argument_group(
        "Grafana connection",
        "credentials come from GRAFANA_TOKEN (Bearer) or GRAFANA_USER and GRAFANA_PASSWORD (basic)",
    )
    g.add_argument("--url", help="Grafana base URL (default: $GRAFANA_URL)")
    g.add_argument("--org-id", type=int, help="organization id, sent as X-Grafana-Org-Id (default: $GRAFANA_ORG_ID)")
    g.add_argument(
        "--ca-bundle",
        help="CA bundle to verify Grafana's certificate (default: $GRAFANA_CA_BUNDLE, then $REQUESTS_CA_BUNDLE)",
    )
    g.add_argument(
        "--token-file",
        help="file holding the Grafana token (default: $GRAFANA_TOKEN_FILE); "
        "there is no --token flag: command lines show in process lists",
    )
    g.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request (default: 10)")
    g.add_argument("--insecure-skip-verify", action="store_true", help="do not verify Grafana's TLS certificate")
    g.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow credentials over plain http:// to a host other than localhost",
    )
    g.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
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
    token = pick(None, "GRAFANA_TOKEN")
    token_file = pick(getattr(args, "token_file", None), "GRAFANA_TOKEN_FILE")
    if token_file:
        if token:
            raise SettingsError("set either GRAFANA_TOKEN or a token file, not both")
        token = read_token_file(token_file)
    ca_bundle = (
        pick(getattr(args, "ca_bundle", None), "GRAFANA_CA_BUNDLE")
        or pick(None, "REQUESTS_CA_BUNDLE")
        or pick(None, "CURL_CA_BUNDLE")
    )
    return GrafanaSettings(
        url=url.rstrip("/"),
        token=token,
        user=pick(None, "GRAFANA_USER"),
        password=env.get("GRAFANA_PASSWORD") or None,  # not stripped: spaces may be part of it
        org_id=org_id,
        ca_bundle=ca_bundle,
        proxy=proxy_for(url, env),
        timeout=getattr(args, "timeout", 10.0),
        insecure_skip_verify=getattr(args, "insecure_skip_verify", False),
        allow_insecure_http=getattr(args, "allow_insecure_http", False),
        concurrency=getattr(args, "concurrency", DEFAULT_CONCURRENCY),
        output_format=getattr(args, "format", "text"),
    )


def read_token_file(path: str) -> str:
    """The token from a file (first line, stripped); errors never show the file's content."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(65537)
    except OSError as exc:
        raise SettingsError(f"cannot read the token file {path}: {exc.strerror}") from None
    if len(raw) > 65536:
        raise SettingsError(f"the token file {path} is larger than 64 KiB: not a token")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise SettingsError(f"the token file {path} holds non-ASCII bytes: not a token") from None
    token = text.strip()
    if not token or "\n" in token:
        raise SettingsError(f"the token file {path} must hold one token on one line")
    return token


def add_push_arguments(parser: argparse.ArgumentParser) -> None:
    """--dry-run, --prune and --force for `push`."""
    parser.add_argument("--dry-run", action="store_true", help="plan only: show what would change, write nothing")
    parser.add_argument(
        "--prune",
        action="store_true",
        help="delete dashboards and rule groups we own (in our folders) that are no longer generated",
    )
    parser.add_argument("--force", action="store_true", help="overwrite or delete objects edited in Grafana")
