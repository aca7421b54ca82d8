"""Starts the real provml server (`node bin/provml.js serve`) for the client's end-to-end tests.

Each harness gets its own PostgreSQL database on the machine's server (127.0.0.1:5432, user
postgres), a free loopback port and a temporary data directory; `kill()` is a SIGKILL, and
`start()` again comes back on the same port, as a restarted server would.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PG_HOST, PG_USER = "127.0.0.1", "postgres"


def unavailable_reason():
    """Why the real server cannot run here, or None when it can."""
    if not os.path.exists(os.path.join(REPO_ROOT, "dist", "cli.js")):
        return "the real server is not built (no dist/cli.js: run `npx tsc -p tsconfig.build.json`)"
    if shutil.which("node") is None:
        return "node is not on PATH"
    if shutil.which("psql") is None:
        return "psql is not on PATH (PostgreSQL client needed to create the test database)"
    probe = subprocess.run(["psql", "-h", PG_HOST, "-U", PG_USER, "-tAc", "select 1"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return "no PostgreSQL at %s:5432 for user %s: %s" % (PG_HOST, PG_USER,
                                                             probe.stderr.strip())
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _psql(sql):
    subprocess.run(["psql", "-h", PG_HOST, "-U", PG_USER, "-v", "ON_ERROR_STOP=1", "-qc", sql],
                   check=True, capture_output=True, text=True)


class RealServer(object):
    def __init__(self):
        self.database = "provml_pyclient_%s" % uuid.uuid4().hex[:10]
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="provml-server-")
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")
        _psql('CREATE DATABASE "%s"' % self.database)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=60.0):
        env = dict(os.environ, PORT=str(self.port), HOST="127.0.0.1", PROVML_DEMO="0",
                   PROVML_DATABASE_URL="postgresql://%s@%s:5432/%s" % (PG_USER, PG_HOST,
                                                                      self.database),
                   PROVML_DATA_DIR=os.path.join(self.dir, "data"), PROVML_LOG_LEVEL="warn")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["node", "bin/provml.js", "serve"], cwd=REPO_ROOT, env=env,
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" % (self.proc.returncode,
                                                                   self.log_tail()))
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("server not healthy within %.0f s:\n%s" % (timeout, self.log_tail()))

    def kill(self):
        """SIGKILL: no goodbye, as when a node dies."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def close(self):
        self.stop()
        try:
            _psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.database)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, size=4000):
        try:
            with open(self.log_path, "rb") as handle:
                return handle.read()[-size:].decode("utf-8", "replace")
        except OSError:
            return ""

    def graphql(self, query, variables=None, timeout=30):
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(self.url + "/graphql", data=body,
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                answer = json.loads(resp.read().decode())
        except urllib.error.HTTPError as err:
            answer = json.loads(err.read().decode() or "{}")
        if answer.get("errors"):
            raise AssertionError("GraphQL errors: %s" % json.dumps(answer["errors"])[:2000])
        return answer["data"]
