"""HTTP transport: one ingest batch (or one spec) per POST, answers sorted into outcomes.

The sender decides what to do with an outcome; this module only says what the server said:
ACK (with counts and issues), RETRY (network error, 429, 5xx, a transient GraphQL error,
with the server's Retry-After when it gave one), TOO_LARGE (413) or FATAL (another 4xx,
a malformed answer, a GraphQL error that resending cannot fix).
"""
import email.utils
import http.client
import json
import math
import socket
import time
import urllib.parse

INGEST_MUTATION = (
    "mutation Ingest($events:[JSON!]!){ingest(events:$events){accepted duplicates rejected "
    "duplicateIds issues{index eventId field code message}}}"
)
REGISTER_MUTATION = (
    "mutation Register($spec:WorkflowSpecInput!){registerWorkflow(spec:$spec){id name version}}"
)

ACK, RETRY, TOO_LARGE, FATAL = "ack", "retry", "too_large", "fatal"

# GraphQL error codes after which the same request may succeed later.
TRANSIENT_CODES = frozenset(
    ["STORE_UNAVAILABLE", "STORE_TIMEOUT", "STORE_CONFLICT", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"]
)


class Outcome(object):
    """What one POST came to. `data` holds the mutation's payload on ACK."""

    __slots__ = ("kind", "data", "reason", "retry_after", "status")

    def __init__(self, kind, data=None, reason="", retry_after=None, status=None):
        self.kind = kind
        self.data = data
        self.reason = reason
        self.retry_after = retry_after
        self.status = status

    def __repr__(self):
        return "Outcome(%s, status=%s, reason=%r)" % (self.kind, self.status, self.reason)


def graphql_url(server):
    """Accept `http://host:port`, `host:port` or a full `.../graphql` URL."""
    if "://" not in server:
        server = "http://" + server
    parts = urllib.parse.urlsplit(server)
    if parts.scheme not in ("http", "https"):
        raise ValueError("server: scheme must be http or https, got %r" % parts.scheme)
    path = parts.path if parts.path not in ("", "/") else "/graphql"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _json_default(value):
    # numpy and torch scalars and arrays, Paths, sets: what training code hands over.
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (ValueError, TypeError, RuntimeError):
            pass
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _finite(value):
    """JSON has no NaN or Infinity; they travel as strings so the rest of the event survives."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(value):
    """Compact JSON that the server's JSON.parse accepts, whatever floats the job produced."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False, default=_json_default)
    except ValueError:
        # Convert numpy/torch values first so that NaN hidden inside them is caught too.
        plain = json.loads(json.dumps(value, default=_json_default))
        return json.dumps(_finite(plain), separators=(",", ":"), allow_nan=False)


class HttpTransport(object):
    """POSTs GraphQL requests over one kept-alive connection (re-opened after any error)."""

    def __init__(self, server, timeout=10.0, headers=None):
        self.url = graphql_url(server)
        parts = urllib.parse.urlsplit(self.url)
        self._https = parts.scheme == "https"
        self._netloc = parts.netloc
        self._path = parts.path + ("?" + parts.query if parts.query else "")
        self.timeout = timeout
        self._headers = {"content-type": "application/json", "accept": "application/json"}
        self._headers.update(headers or {})
        self._conn = None

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def send_events(self, events):
        body = dumps({"query": INGEST_MUTATION, "variables": {"events": events}})
        return self._post(body.encode("utf-8"), "ingest")

    def register(self, spec):
        body = dumps({"query": REGISTER_MUTATION, "variables": {"spec": spec}})
        return self._post(body.encode("utf-8"), "registerWorkflow")

    def _connection(self):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._netloc, timeout=self.timeout)
        return self._conn

    def _post(self, body, field):
        try:
            conn = self._connection()
            conn.request("POST", self._path, body=body, headers=self._headers)
            resp = conn.getresponse()
            raw = resp.read()
            status = resp.status
            retry_after = parse_retry_after(resp.getheader("retry-after"))
            if resp.getheader("connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException, socket.timeout) as err:
            self.close()
            return Outcome(RETRY, reason="network: %s: %s" % (type(err).__name__, err))
        return classify(status, raw, field, retry_after)


def classify(status, raw, field, retry_after=None):
    """Sort one HTTP answer into an Outcome (pure: the unit tests feed it answers directly)."""
    text = raw[:300].decode("utf-8", "replace")
    if status == 429 or status >= 500:
        return Outcome(RETRY, reason="HTTP %d: %s" % (status, text), retry_after=retry_after,
                       status=status)
    if status == 413:
        return Outcome(TOO_LARGE, reason="HTTP 413: %s" % text, status=status)
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return Outcome(FATAL, reason="malformed answer (HTTP %d, not JSON): %r" % (status, text),
                       status=status)
    if not isinstance(answer, dict):
        return Outcome(FATAL, reason="malformed answer (HTTP %d): %r" % (status, text),
                       status=status)
    data = answer.get("data") if isinstance(answer.get("data"), dict) else None
    payload = data.get(field) if data else None
    errors = answer.get("errors") if isinstance(answer.get("errors"), list) else []
    if payload is None or status != 200:
        codes = [((e.get("extensions") or {}).get("code") if isinstance(e, dict) else None)
                 for e in errors]
        messages = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
        if errors and all(c in TRANSIENT_CODES for c in codes):
            return Outcome(RETRY, reason="HTTP %d: %s" % (status, messages), status=status,
                           retry_after=retry_after)
        if codes and "LIMIT_EXCEEDED" in codes:
            return Outcome(TOO_LARGE, reason="HTTP %d: %s" % (status, messages), status=status)
        reason = messages or ("no %s payload in answer: %r" % (field, text))
        return Outcome(FATAL, reason="HTTP %d: %s" % (status, reason), status=status)
    if field == "ingest" and not _valid_ingest_payload(payload):
        return Outcome(FATAL, reason="malformed ingest payload: %r" % text, status=status)
    return Outcome(ACK, data=payload, status=status)


def _valid_ingest_payload(payload):
    if not isinstance(payload, dict):
        return False
    for key in ("accepted", "duplicates", "rejected"):
        if not isinstance(payload.get(key), int) or isinstance(payload.get(key), bool):
            return False
    issues = payload.get("issues", [])
    return isinstance(issues, list) and all(isinstance(i, dict) for i in issues)
