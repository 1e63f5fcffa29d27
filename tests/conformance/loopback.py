"""A stub HTTP server on 127.0.0.1 that records the request bodies an SDK client sends, so the
documents under test are the bytes the official clients really put on the wire."""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.server.captured.append((self.command, self.path, body))
        payload = json.dumps(self.server.reply(self.command, self.path)).encode()
        self.send_response(200 if self.command != "POST" else 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = _handle

    def log_message(self, *args):
        pass


@contextmanager
def server(reply):
    """Run a stub answering `reply(method, path) -> JSON value`; yields (base_url, captured),
    where `captured` lists (method, path, body text) in arrival order."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.captured = []
    srv.reply = reply
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", srv.captured
    finally:
        srv.shutdown()
        srv.server_close()
