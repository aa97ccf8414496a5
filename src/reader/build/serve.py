"""`reader watch --serve`: the web edition on http://127.0.0.1:PORT/, reloaded after every
rebuild.

Only this machine can connect (the server binds 127.0.0.1 and answers only requests
addressed to 127.0.0.1 or localhost, which also defeats DNS rebinding). The built pages
forbid every script; in served mode, and only here, each HTML page is sent with reader's
own reload script, allowed by a nonce in the page's policy for that one response. The
files in dist/web/ are never changed.
"""

from __future__ import annotations

import http.server
import secrets
import threading
import time
from pathlib import Path

EVENTS = "/__reader/events"
HEARTBEAT = 15.0          # seconds between keep-alive comments on an idle event stream
MAX_STREAM = 3600.0       # an event stream ends after an hour (the page reconnects)

RELOAD = ("<script nonce=\"{nonce}\">new EventSource(\"" + EVENTS + "\").onmessage = "
          "function () {{ location.reload(); }};</script>")


class LiveReload:
    """The build's generation: a rebuild bumps it, and every open page reloads."""

    def __init__(self) -> None:
        self.generation = 0
        self.changed = threading.Condition()
        self.stopped = False

    def bump(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen or self.stopped, timeout)
            return self.generation


def with_reload(html: bytes, nonce: str) -> bytes:
    """The page as served: its policy lets the one script with this nonce run, and connect
    back to this server; the script is added before </body>."""
    text = html.decode("utf-8")
    text = text.replace("script-src 'none'",
                        f"script-src 'nonce-{nonce}'; connect-src 'self'", 1)
    return text.replace("</body>", RELOAD.format(nonce=nonce) + "</body>", 1).encode("utf-8")


def make_handler(folder: Path, live: LiveReload, port_box: list[int]):  # noqa: ANN201
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _host_ok(self) -> bool:
            host = (self.headers.get("Host") or "").lower()
            return host in {f"127.0.0.1:{port_box[0]}", f"localhost:{port_box[0]}"}

        def do_GET(self) -> None:  # noqa: N802
            if not self._host_ok():
                self.send_error(403, "reader serves this machine only")
                return
            path = self.path.split("?", 1)[0]
            if path == EVENTS:
                self._events()
                return
            if path.endswith("/"):
                path += "index.html"
            if path.endswith(".html"):
                self._page(path)
                return
            super().do_GET()

        def do_HEAD(self) -> None:  # noqa: N802
            if not self._host_ok():
                self.send_error(403)
                return
            super().do_HEAD()

        def list_directory(self, path):  # noqa: ANN001, ANN201 - no listings
            self.send_error(404)
            return None

        def _page(self, path: str) -> None:
            local = Path(self.translate_path(path))
            try:
                if not local.is_file() or not local.resolve().is_relative_to(
                        folder.resolve()):
                    raise FileNotFoundError
                body = with_reload(local.read_bytes(), secrets.token_urlsafe(16))
            except OSError:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = live.generation
            started = time.monotonic()
            try:
                while not live.stopped and time.monotonic() - started < MAX_STREAM:
                    now = live.wait(seen, HEARTBEAT)
                    if live.stopped:
                        break
                    message = b"data: reload\n\n" if now != seen else b": idle\n\n"
                    seen = now
                    self.wfile.write(message)
                    self.wfile.flush()
            except OSError:
                pass

    return Handler


class Server:
    """The web edition served on 127.0.0.1 in a background thread."""

    def __init__(self, folder: Path, port: int = 0):
        self.live = LiveReload()
        port_box = [port]
        handler = make_handler(folder, self.live, port_box)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        port_box[0] = self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> "Server":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.live.stop()
        self.httpd.shutdown()
        self.httpd.server_close()
