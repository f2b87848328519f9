"""A broken or malicious "Grafana" on 127.0.0.1: by default it answers like an empty Grafana, and each test
replaces the answer of one endpoint with garbage, a wrong shape, a huge body, endless pages or an echo of the
request's credentials."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, dict[str, str], bytes]
Route = Callable[["Request"], Answer]


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = parse_qs(parts.query)
        self.headers = {k: v for k, v in handler.headers.items()}
        self.body = body
        self.handler = handler


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return status, {"Content-Type": "application/json", **(headers or {})}, raw


def _echo_body(req: Request) -> dict[str, Any]:
    return json.loads(req.body or b"{}")


DEFAULTS: dict[tuple[str, str], Route] = {
    ("GET", "/api/health"): lambda r: answer({"database": "ok", "version": "11.6.0", "commit": "x"}),
    ("GET", "/api/folders"): lambda r: answer([]),
    ("POST", "/api/folders"): lambda r: answer({**_echo_body(r), "id": 1, "version": 1}),
    ("GET", "/api/search"): lambda r: answer([]),
    ("POST", "/api/dashboards/db"): lambda r: answer({"status": "success", "version": 1, "uid": "x"}),
    ("GET", "/api/v1/provisioning/alert-rules"): lambda r: answer([]),
    ("PUT", "/api/v1/provisioning/folder/*"): lambda r: answer(_echo_body(r)),
    ("GET", "/api/dashboards/uid/*"): lambda r: answer({"message": "Dashboard not found"}, 404),
}


class HostileGrafana:
    def __init__(self, **routes: Route) -> None:
        self.routes = dict(DEFAULTS)
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def route(self, method: str, path: str, fn: Route) -> HostileGrafana:
        self.routes[(method, path)] = fn
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HostileGrafana:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _find(self, method: str, path: str) -> Route | None:
        if (method, path) in self.routes:
            return self.routes[(method, path)]
        for (m, pattern), fn in self.routes.items():
            if m == method and pattern.endswith("*") and path.startswith(pattern[:-1]):
                return fn
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(self, self.rfile.read(length) if length else b"")
                server.requests.append((req.method, req.path))
                fn = server._find(req.method, req.path)
                status, headers, body = fn(req) if fn else answer({"message": "Not found"}, 404)
                if status < 0:  # the route wrote the answer itself (a stream)
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def streaming(total_bytes: int, chunk: bytes = b"[" * 65536) -> Route:
    """An answer that streams `total_bytes` of body with chunked encoding (no Content-Length)."""

    def route(req: Request) -> Answer:
        h = req.handler
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        sent = 0
        try:
            while sent < total_bytes:
                h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            h.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        h.close_connection = True
        return -1, {}, b""

    return route


def echo_credentials(status: int, *, as_json: bool = True, pad: int = 0) -> Route:
    """An error that quotes the request's Authorization header back (optionally after `pad` characters)."""

    def route(req: Request) -> Answer:
        auth = req.headers.get("Authorization", "")
        text = "x" * pad + f"request had Authorization: {auth}; token {auth.split(' ')[-1]}"
        return answer({"message": text} if as_json else text.encode(), status)

    return route
