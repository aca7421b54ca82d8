"""A misbehaving network peer for the client's tests: an HTTP server on 127.0.0.1 that answers
the ingest and registerWorkflow mutations the way docs/ingest.md says (idempotent by event id),
unless told to misbehave first: 429 with Retry-After, 5xx, 413, malformed answers, a 4xx,
a slow answer, or going away altogether (stop, then start again on the same port).

It stands in for the network and the server's answers, not for a store: the real server is
exercised by test_real_server.py through server_harness.py.
"""
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FaultServer(object):
    def __init__(self, port=0):
        self.events = {}  # id -> event, what a real server would have stored
        self.order = []  # ids in the order they were accepted
        self.specs = []
        self.requests = []  # (monotonic time, kind, number of events)
        self.authorizations = []  # the Authorization header of each request (None if absent)
        self.script = []  # answers to give before behaving: "429:2", "503", "malformed", ...
        self.reject_types = set()  # event types this server rejects (to test issues)
        self.answer_delay = 0.0
        self.lock = threading.Lock()
        self.connections = set()  # open keep-alive sockets: going away closes them too
        self.port = port
        self._httpd = None
        self._thread = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        handler = _handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        with self.lock:
            connections, self.connections = list(self.connections), set()
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop_idle_connections(self):
        """Close the kept-alive sockets while still listening, as a server's idle timeout does."""
        with self.lock:
            connections = list(self.connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def ingest_times(self):
        return [t for t, kind, _ in self.requests if kind == "ingest"]

    def answer(self, body):
        """(status, headers, bytes) for one request body."""
        request = json.loads(body)
        query = request.get("query", "")
        kind = "register" if "registerWorkflow" in query else "ingest"
        events = (request.get("variables") or {}).get("events") or []
        with self.lock:
            self.requests.append((time.monotonic(), kind, len(events)))
            step = self.script.pop(0) if self.script else None
        if step is not None:
            return self._misbehave(step)
        if kind == "register":
            spec = request["variables"]["spec"]
            with self.lock:
                self.specs.append(spec)
            payload = {"registerWorkflow": {"id": "wf:%s:1" % spec["name"],
                                            "name": spec["name"], "version": 1}}
            return 200, {}, json.dumps({"data": payload}).encode()
        accepted = duplicates = rejected = 0
        duplicate_ids, issues = [], []
        with self.lock:
            for index, event in enumerate(events):
                if event.get("type") in self.reject_types or not isinstance(event.get("id"), str):
                    rejected += 1
                    issues.append({"index": index, "eventId": event.get("id"),
                                   "field": "events[%d].type" % index, "code": "BAD_USER_INPUT",
                                   "message": "type refused by this test server"})
                elif event["id"] in self.events:
                    duplicates += 1
                    duplicate_ids.append(event["id"])
                else:
                    accepted += 1
                    self.events[event["id"]] = event
                    self.order.append(event["id"])
        payload = {"ingest": {"accepted": accepted, "duplicates": duplicates,
                              "rejected": rejected, "duplicateIds": duplicate_ids,
                              "issues": issues}}
        return 200, {}, json.dumps({"data": payload}).encode()

    def _misbehave(self, step):
        match = re.match(r"^(\d{3})(?::(.+))?$", step)
        if match:
            status = int(match.group(1))
            headers = {"Retry-After": match.group(2)} if match.group(2) else {}
            body = {"errors": [{"message": "injected %d" % status,
                                "extensions": {"code": "LIMIT_EXCEEDED" if status == 413
                                               else "INJECTED"}}]}
            return status, headers, json.dumps(body).encode()
        if step == "malformed":
            return 200, {}, b"<html>proxy error</html>"
        if step == "empty-data":
            return 200, {}, b'{"data": {"ingest": null}}'
        if step.startswith("sleep:"):
            time.sleep(float(step.split(":", 1)[1]))
            return 503, {}, b"{}"
        raise ValueError("unknown script step %r" % step)


def _handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet tests
            pass

        def setup(self):
            BaseHTTPRequestHandler.setup(self)
            with server.lock:
                server.connections.add(self.connection)

        def finish(self):
            with server.lock:
                server.connections.discard(self.connection)
            BaseHTTPRequestHandler.finish(self)

        def do_GET(self):
            self._send(200, {}, b"ok")

        def do_POST(self):
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length)
            with server.lock:
                server.authorizations.append(self.headers.get("authorization"))
            if server.answer_delay:
                time.sleep(server.answer_delay)
            status, headers, data = server.answer(body)
            self._send(status, headers, data)

        def _send(self, status, headers, data):
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
