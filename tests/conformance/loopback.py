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
        value = self.server.reply(self.command, self.path)
        raw = isinstance(value, bytes)  # an XML answer (EC2's query API), sent as it is
        payload = value if raw else json.dumps(value).encode()
        self.send_response(200 if self.command != "POST" or raw else 201)
        self.send_header("Content-Type", "text/xml" if raw else "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = _handle

    def log_message(self, *args):
        pass


@contextmanager
def server(reply):
    """Run a stub answering `reply(method, path) -> JSON value` (or bytes, sent as XML); yields
    (base_url, captured),
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
