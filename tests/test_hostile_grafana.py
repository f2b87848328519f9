"""A broken or malicious Grafana and unsafe connection settings: every case ends with one clear line naming the
endpoint or the setting, the right exit code, in bounded time, and no credential (or piece of one) printed."""

from __future__ import annotations

import base64
import json
import socket
import time
from pathlib import Path

import pytest
from badinput import MINIMAL, ROOT, TOKEN, assert_clean_failure, assert_no_secret, run, snapshot
from hostile_server import HostileGrafana, answer, echo_credentials, streaming

PROXIES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "GRAFANA_CA_BUNDLE",
    "GRAFANA_TOKEN_FILE",
    "GRAFANA_USER",
    "GRAFANA_PASSWORD",
    "GRAFANA_URL",
)
PASSWORD = "Pw-9f8e7d6c5b4a3f2e1d0c"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)


def _folders(n: int, start: int = 0) -> list[dict]:
    return [{"id": i, "uid": f"f{i:06d}", "title": f"Folder {i}"} for i in range(start, start + n)]


def _owned_hit(req):
    return answer(
        [
            {
                "uid": "agent-minimal",
                "title": "Minimal",
                "type": "dash-db",
                "folderUid": "ai-agents",
                "tags": ["managed-by-agentgrafana"],
            }
        ]
    )


def _endless_pages(req):
    page = int(req.query.get("page", ["1"])[0])
    return answer(_folders(1000, start=page * 1000))


# (case id, {(method, path): route}, substrings of the message)
SERVER_CASES = [
    ("health-a-list", {("GET", "/api/health"): lambda r: answer([1, 2])}, ("unhealthy",)),
    ("health-not-json", {("GET", "/api/health"): lambda r: answer(b"<html>hello</html>")}, ("not JSON",)),
    (
        "health-declares-100MB",
        {("GET", "/api/health"): lambda r: answer(b"{}", headers={"Content-Length": str(100 * 1024 * 1024)})},
        ("over the", "limit"),
    ),
    ("health-streams-80MB", {("GET", "/api/health"): streaming(80 * 1024 * 1024)}, ("over the", "limit")),
    (
        "health-nested-100000",
        {("GET", "/api/health"): lambda r: answer(b"[" * 100000 + b"]" * 100000)},
        ("nests too deeply",),
    ),
    ("health-invalid-utf8", {("GET", "/api/health"): lambda r: answer(b'{"database": "\xff\xfe"}')}, ("not JSON",)),
    (
        "health-short-body",
        {("GET", "/api/health"): lambda r: answer(b'{"database"', headers={"Content-Length": "200"})},
        ("unreachable",),
    ),
    (
        "folders-an-object",
        {("GET", "/api/folders"): lambda r: answer({"folders": []})},
        ("list of folders", "an object where a list of objects was expected"),
    ),
    ("folders-strings", {("GET", "/api/folders"): lambda r: answer(["a", "b"])}, ("list of folders",)),
    ("folders-a-string", {("GET", "/api/folders"): lambda r: answer("nope")}, ("list of folders", "a string")),
    ("folders-html", {("GET", "/api/folders"): lambda r: answer(b"<html>login</html>")}, ("not JSON",)),
    (
        "folders-ignore-paging",
        {("GET", "/api/folders"): lambda r: answer(_folders(1000))},
        ("list of folders", "ignores paging"),
    ),
    ("folders-never-end", {("GET", "/api/folders"): _endless_pages}, ("list of folders", "more than 5 pages")),
    ("search-an-object", {("GET", "/api/search"): lambda r: answer({"hits": []})}, ("search",)),
    ("search-numbers", {("GET", "/api/search"): lambda r: answer([1, 2, 3])}, ("search", "list of objects")),
    (
        "search-ignore-paging",
        {("GET", "/api/search"): lambda r: answer([{"uid": f"d{i}", "title": str(i)} for i in range(1000)])},
        ("search", "ignores paging"),
    ),
    (
        "dashboard-a-list",
        {("GET", "/api/search"): _owned_hit, ("GET", "/api/dashboards/uid/*"): lambda r: answer([1, 2])},
        ('dashboard "Minimal" (agent-minimal)', "a list where an object with dashboard, meta"),
    ),
    (
        "dashboard-a-string-model",
        {
            ("GET", "/api/search"): _owned_hit,
            ("GET", "/api/dashboards/uid/*"): lambda r: answer({"dashboard": "x", "meta": {}}),
        },
        ("agent-minimal", "dashboard, meta"),
    ),
    (
        "alert-rules-an-object",
        {("GET", "/api/v1/provisioning/alert-rules"): lambda r: answer({"rules": []})},
        ("list of alert rules",),
    ),
    ("folder-create-echoes-token", {("POST", "/api/folders"): echo_credentials(500)}, ("HTTP 500",)),
    (
        "save-echoes-token-as-text",
        {("POST", "/api/dashboards/db"): echo_credentials(400, as_json=False)},
        ("HTTP 400",),
    ),
    ("save-echoes-token-at-the-cut", {("POST", "/api/dashboards/db"): echo_credentials(400, pad=180)}, ("HTTP 400",)),
    ("401-echoes-token", {("GET", "/api/folders"): echo_credentials(401)}, ("HTTP 401", "GRAFANA_TOKEN")),
    (
        "redirect",
        {("GET", "/api/folders"): lambda r: answer({}, 302, {"Location": "http://127.0.0.2/login"})},
        ("HTTP 302", "redirected"),
    ),
    (
        "huge-integer",
        {("GET", "/api/folders"): lambda r: answer(b'[{"uid": 1' + b"0" * 400 + b"}]")},
        ("list of folders",),
    ),
]


@pytest.mark.parametrize("case_id,routes,names", SERVER_CASES, ids=[c[0] for c in SERVER_CASES])
def test_a_hostile_grafana_is_one_line_and_exit_1(monkeypatch, case_id, routes, names) -> None:
    from agentgrafana.grafana import stores

    monkeypatch.setattr(stores, "MAX_PAGES", 5)  # the bound itself is 200; 5 keeps the endless case short
    with HostileGrafana() as server:
        for (method, path), fn in routes.items():
            server.route(method, path, fn)
        before = snapshot(MINIMAL)
        started = time.monotonic()
        ran = run("push", "--root", str(MINIMAL), "--from-source", "--url", server.url, "--timeout", "1")
        assert time.monotonic() - started < 60
    assert_clean_failure(ran, 1, *names)
    assert_no_secret(ran.text)
    assert snapshot(MINIMAL) == before


def test_the_json_report_of_a_hostile_grafana_is_json_without_the_token() -> None:
    with HostileGrafana() as server:
        server.route("GET", "/api/folders", echo_credentials(500))
        ran = run("plan", "--root", str(MINIMAL), "--from-source", "--url", server.url, "--format", "json")
    report = json.loads(ran.out)
    assert ran.code == 1 and report["ok"] is False and "HTTP 500" in report["error"]
    assert_no_secret(ran.text)


def test_basic_auth_echoed_back_is_scrubbed(monkeypatch) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN")
    monkeypatch.setenv("GRAFANA_USER", "admin")
    monkeypatch.setenv("GRAFANA_PASSWORD", PASSWORD)
    basic = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()

    def echo(req):
        return answer({"message": f"bad {req.headers.get('Authorization')} for admin:{PASSWORD}"}, 403)

    with HostileGrafana() as server:
        server.route("GET", "/api/folders", echo)
        ran = run("push", "--root", str(MINIMAL), "--from-source", "--url", server.url)
    assert_clean_failure(ran, 1, "HTTP 403")
    assert_no_secret(ran.text, PASSWORD)
    assert_no_secret(ran.text, basic)


# --- connection settings ---------------------------------------------------------------------------------


def _tokenfile(tmp: Path, content: bytes) -> str:
    path = tmp / "token"
    path.write_bytes(content)
    return str(path)


SETTINGS_CASES = [
    ("http-to-remote-host", {}, ("--url", "http://grafana.example.com:3000"), ("plain http", "grafana.example.com")),
    (
        "http-proxy-for-http-url",
        {"HTTP_PROXY": "http://127.0.0.1:3128"},
        ("--url", "http://127.0.0.1:3000"),
        ("through the proxy 127.0.0.1", "in clear"),
    ),
    (
        "all-proxy-for-http-url",
        {"ALL_PROXY": "http://127.0.0.1:3128"},
        ("--url", "http://localhost:3000"),
        ("through the proxy",),
    ),
    (
        "plain-remote-proxy-for-https",
        {"HTTPS_PROXY": "http://proxy.example.com:3128"},
        ("--url", "https://grafana.example.com"),
        ("plain-http proxy proxy.example.com",),
    ),
    (
        "lower-case-proxy",
        {"https_proxy": "http://proxy.example.com:3128"},
        ("--url", "https://grafana.example.com"),
        ("plain-http proxy",),
    ),
    (
        "socks-proxy",
        {"HTTPS_PROXY": "socks5://proxy.example.com:1080"},
        ("--url", "https://grafana.example.com"),
        ("not an http(s) URL",),
    ),
    (
        "proxy-with-password",
        {"HTTPS_PROXY": f"http://me:{PASSWORD}@proxy.example.com:3128"},
        ("--url", "https://grafana.example.com"),
        ("plain-http proxy",),
    ),
    (
        "token-not-latin1",
        {"GRAFANA_TOKEN": "glsa_tökén_ÿ_値_0123456789abcdef"},
        ("--url", "http://127.0.0.1:1"),
        ("printable ASCII",),
    ),
    (
        "token-with-space",
        {"GRAFANA_TOKEN": "glsa_abc def_0123456789abcdef"},
        ("--url", "http://127.0.0.1:1"),
        ("printable ASCII",),
    ),
    (
        "bad-requests-ca-bundle",
        {"REQUESTS_CA_BUNDLE": "/nonexistent/ca.pem"},
        ("--url", "https://127.0.0.1:1"),
        ("CA bundle not found", "REQUESTS_CA_BUNDLE"),
    ),
    ("url-port-99999", {}, ("--url", "http://127.0.0.1:99999"), ("invalid port",)),
    ("url-with-space", {}, ("--url", "http://grafana .example.com"), ("URL",)),
    (
        "url-with-credentials",
        {},
        ("--url", f"https://admin:{PASSWORD}@grafana.example.com"),
        ("do not put credentials in the Grafana URL",),
    ),
    ("url-ftp", {}, ("--url", "ftp://grafana.example.com"), ("http(s)://",)),
    ("no-url", {}, (), ("no Grafana URL",)),
    (
        "user-without-password",
        {"GRAFANA_TOKEN": "", "GRAFANA_USER": "admin"},
        ("--url", "http://127.0.0.1:1"),
        ("must be set together",),
    ),
    (
        "token-and-basic",
        {"GRAFANA_USER": "admin", "GRAFANA_PASSWORD": PASSWORD},
        ("--url", "http://127.0.0.1:1"),
        ("not both",),
    ),
    ("concurrency-0", {}, ("--url", "http://127.0.0.1:1", "--concurrency", "0"), ("--concurrency",)),
    ("timeout-negative", {}, ("--url", "http://127.0.0.1:1", "--timeout", "-1"), ("--timeout",)),
]


@pytest.mark.parametrize("case_id,env,argv,names", SETTINGS_CASES, ids=[c[0] for c in SETTINGS_CASES])
def test_unsafe_or_broken_connection_settings_exit_2(monkeypatch, case_id, env, argv, names) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v) if v else monkeypatch.delenv(k, raising=False)
    ran = run("push", "--root", str(MINIMAL), "--from-source", *argv)
    assert_clean_failure(ran, 2, *names)
    assert_no_secret(ran.text)
    assert_no_secret(ran.text, PASSWORD)
    assert_no_secret(ran.text, "glsa_tökén_ÿ_値_0123456789abcdef")


@pytest.mark.parametrize(
    "content,names",
    [
        (None, ("cannot read the token file",)),
        (b"", ("one token on one line",)),
        (b"line-one-token\nline-two-token\n", ("one token on one line",)),
        (b"\xff\xfe-binary-token", ("non-ASCII",)),
        (b"t" * 70000, ("larger than 64 KiB",)),
    ],
)
def test_bad_token_files(monkeypatch, tmp_path, content, names) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN")
    path = str(tmp_path / "missing") if content is None else _tokenfile(tmp_path, content)
    ran = run("push", "--root", str(MINIMAL), "--from-source", "--url", "http://127.0.0.1:1", "--token-file", path)
    assert_clean_failure(ran, 2, *names)
    assert "line-one-token" not in ran.text and "line-two-token" not in ran.text


def test_a_token_file_is_used_and_its_token_never_shown(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN")
    with HostileGrafana() as server:
        server.route("GET", "/api/folders", echo_credentials(500))
        ran = run(
            "push",
            "--root",
            str(MINIMAL),
            "--from-source",
            "--url",
            server.url,
            "--token-file",
            _tokenfile(tmp_path, (TOKEN + "\n").encode()),
        )
    assert_clean_failure(ran, 1, "HTTP 500")
    assert_no_secret(ran.text)


def test_no_proxy_lets_a_loopback_grafana_bypass_the_proxy(monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example.com:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with HostileGrafana() as server:
        ran = run("push", "--root", str(MINIMAL), "--from-source", "--url", server.url)
        assert ("GET", "/api/health") in server.requests  # straight to Grafana, not refused, not proxied
    assert ran.code == 0, ran.text


def test_a_localhost_name_that_resolves_elsewhere_is_not_trusted(monkeypatch) -> None:
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "grafana.localhost":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    ran = run("push", "--root", str(MINIMAL), "--from-source", "--url", "http://grafana.localhost:3000")
    assert_clean_failure(ran, 2, "plain http", "grafana.localhost")


def test_an_http_proxy_never_sees_the_token_of_an_https_push(monkeypatch) -> None:
    """Through a loopback proxy, an https URL is tunnelled (CONNECT): the proxy sees host and port only."""
    seen: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    import threading

    def proxy() -> None:
        try:
            conn, _ = listener.accept()
            conn.settimeout(5)
            data = conn.recv(65536)
            seen.append(data)
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=proxy, daemon=True)
    thread.start()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{listener.getsockname()[1]}")
    ran = run("push", "--root", str(MINIMAL), "--from-source", "--url", "https://grafana.example.com", "--timeout", "3")
    thread.join(15)
    listener.close()
    assert ran.code == 1 and seen and seen[0].startswith(b"CONNECT grafana.example.com:443")
    assert TOKEN.encode() not in seen[0] and b"Authorization" not in seen[0]
    assert_no_secret(ran.text)
