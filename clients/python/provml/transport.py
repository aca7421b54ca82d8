"""HTTP transport: one ingest batch (or one spec) per POST, answers sorted into outcomes.

The sender decides what to do with an outcome; this module only says what the server said:
ACK (with counts and issues), RETRY (network error, 429, 5xx, a transient GraphQL error,
with the server's Retry-After when it gave one), TOO_LARGE (413) or FATAL (another 4xx,
a malformed answer, a GraphQL error that resending cannot fix).
"""
import email.utils
import json
import json.encoder
import math
import socket
import ssl
import time
import urllib.parse

INGEST_MUTATION = (
    "mutation Ingest($events:[JSON!]!){ingest(events:$events){accepted duplicates rejected parked "
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


def _make_encode():
    """One compact encoder made once: json.dumps(...) with options builds a new encoder per call,
    which costs more than encoding a small event. Uses the C encoder where CPython has it."""
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:
        return json.JSONEncoder(separators=(",", ":"), allow_nan=False,
                                default=_json_default).encode
    # markers=None: no cycle bookkeeping (events are trees); a cycle ends in RecursionError.
    chunks = c_make_encoder(None, _json_default, json.encoder.encode_basestring_ascii, None,
                            ":", ",", False, False, False)
    join = "".join

    def encode(value):
        if isinstance(value, str):  # the C encoder takes containers only
            return json.encoder.encode_basestring_ascii(value)
        return join(chunks(value, 0))
    return encode


_encode = _make_encode()


def dumps(value):
    """Compact JSON that the server's JSON.parse accepts, whatever floats the job produced."""
    try:
        return _encode(value)
    except ValueError:
        # Convert numpy/torch values first so that NaN hidden inside them is caught too.
        plain = json.loads(json.dumps(value, default=_json_default))
        return json.dumps(_finite(plain), separators=(",", ":"), allow_nan=False)


# The ingest request around pre-serialised events: the sender serialises each event once
# (spool line, request body, resend and 413 halves all reuse that text) and joins them here.
_INGEST_HEAD = '{"query":%s,"variables":{"events":[' % json.dumps(INGEST_MUTATION)
_INGEST_TAIL = "]}}"
MAX_ANSWER_BYTES = 16 * 1024 * 1024


def _reason(err):
    """`connection refused`, `timed out`, ...: what a user can act on, for a message naming the URL."""
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, ConnectionResetError):
        return "connection reset"
    if isinstance(err, socket.timeout):
        return "timed out"
    if isinstance(err, socket.gaierror):
        return "host not found (%s)" % (err,)
    return "%s: %s" % (type(err).__name__, err)


class _NoAnswer(ConnectionError):
    """The connection ended before the first byte of the answer."""


class _BadAnswer(ValueError):
    """Not an HTTP/1.x answer (a proxy's or a stranger's bytes)."""


class HttpTransport(object):
    """POSTs GraphQL requests over one kept-alive HTTP/1.1 connection (re-opened after any error).

    A small HTTP/1.1 client of its own rather than http.client: the request goes out in one
    write (head and body together, no Nagle wait between them) and the answer's head is split
    by hand instead of through the email parser, which cut the sender's CPU per request by
    about two thirds (docs/performance-capture.md). It speaks what the server answers:
    Content-Length or chunked bodies, keep-alive, `Connection: close`, https via ssl.
    """

    def __init__(self, server, timeout=10.0, headers=None, token=None):
        self.url = graphql_url(server)
        parts = urllib.parse.urlsplit(self.url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._netloc = parts.netloc
        self._path = parts.path + ("?" + parts.query if parts.query else "")
        self.timeout = timeout
        fields = {"content-type": "application/json", "accept": "application/json"}
        fields.update(headers or {})
        if token:
            # Only in the request head: never in a message, a log line or the spool.
            fields["authorization"] = "Bearer %s" % (token,)
        for name, value in fields.items():
            if any(c in str(name) + str(value) for c in "\r\n\0"):
                raise ValueError("headers: %r holds a line break or NUL" % (
                    "token" if name == "authorization" else name,))
        # Everything but Content-Length is the same for every request: encoded once.
        self._head = ("POST %s HTTP/1.1\r\nHost: %s\r\n%s" % (
            self._path, self._netloc, "".join("%s: %s\r\n" % (name, value)
                                              for name, value in fields.items()))).encode("latin-1")
        self._sock = None
        self._reader = None
        self._ssl_context = None

    def close(self):
        sock, self._sock, reader, self._reader = self._sock, None, self._reader, None
        for thing in (reader, sock):
            if thing is not None:
                try:
                    thing.close()
                except OSError:
                    pass

    def send_events(self, events):
        return self.send_serialised([dumps(event) for event in events])

    def send_serialised(self, texts):
        """One ingest request from events already serialised by `dumps` (ASCII JSON)."""
        body = (_INGEST_HEAD + ",".join(texts) + _INGEST_TAIL).encode("ascii")
        return self._post(body, "ingest")

    def register(self, spec):
        body = dumps({"query": REGISTER_MUTATION, "variables": {"spec": spec}})
        return self._post(body.encode("utf-8"), "registerWorkflow")

    def _connect(self):
        sock = socket.create_connection((self._host, self._port), timeout=self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._https:
                if self._ssl_context is None:
                    self._ssl_context = ssl.create_default_context()
                sock = self._ssl_context.wrap_socket(sock, server_hostname=self._host)
        except BaseException:
            sock.close()
            raise
        self._sock, self._reader = sock, sock.makefile("rb")

    def _post(self, body, field):
        request = self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body
        for attempt in (0, 1):
            reused = self._sock is not None
            try:
                if self._sock is None:
                    self._connect()
                try:
                    self._sock.sendall(request)
                except (BrokenPipeError, ConnectionResetError) as err:
                    raise _NoAnswer("connection closed before the request went out (%s)" % err)
                status, headers, raw = self._read_answer()
            except _NoAnswer as err:
                self.close()
                # A kept-alive connection the server closed while idle: one fresh try at once
                # (harmless if it did arrive: events and specs are idempotent by id and name).
                if reused and attempt == 0:
                    continue
                return Outcome(RETRY, reason="network: cannot reach %s: %s" % (self.url, err))
            except (OSError, _BadAnswer) as err:
                self.close()
                return Outcome(RETRY, reason="network: cannot reach %s: %s" % (self.url, _reason(err)))
            retry_after = headers.get(b"retry-after")
            retry_after = parse_retry_after(retry_after.decode("latin-1")) if retry_after else None
            return classify(status, raw, field, retry_after)
        raise AssertionError("unreachable")

    def _read_answer(self):
        """(status, headers with lower-case byte names, body) of one answer; closes when told to."""
        reader = self._reader
        first = True
        while True:
            try:
                line = reader.readline(65537)
            except ConnectionResetError as err:
                if not first:
                    raise
                raise _NoAnswer("connection reset before the answer (%s)" % err)
            if not line:
                raise _NoAnswer("connection closed before the answer")
            first = False
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
                raise _BadAnswer("not an HTTP answer: %r" % line[:80])
            status = int(parts[1])
            headers = {}
            while True:
                line = reader.readline(65537)
                if line in (b"\r\n", b"\n"):
                    break
                if not line:
                    raise ConnectionError("connection closed in the answer's head")
                name, sep, value = line.partition(b":")
                if not sep or len(headers) > 200:
                    raise _BadAnswer("malformed answer head line: %r" % line[:80])
                headers[name.strip().lower()] = value.strip()
            if not 100 <= status < 200:
                break  # 1xx answers come before the real one
        length = headers.get(b"content-length")
        if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            raw = self._read_chunked()
        elif length is not None:
            if not length.isdigit() or int(length) > MAX_ANSWER_BYTES:
                raise _BadAnswer("bad Content-Length %r" % length[:40])
            raw = reader.read(int(length))
            if len(raw) < int(length):
                raise ConnectionError("answer cut short (%d of %s bytes)" % (len(raw), length))
        elif status in (204, 304):
            raw = b""
        else:
            raw = reader.read(MAX_ANSWER_BYTES)  # delimited by the end of the connection
            headers[b"connection"] = b"close"
        if headers.get(b"connection", b"").lower() == b"close" or parts[0] == b"HTTP/1.0":
            self.close()
        return status, headers, raw

    def _read_chunked(self):
        reader, chunks, total = self._reader, [], 0
        while True:
            line = reader.readline(1026)
            if not line:
                raise ConnectionError("connection closed in a chunked answer")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadAnswer("bad chunk size line: %r" % line[:80])
            if size == 0:
                while reader.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if size < 0 or total > MAX_ANSWER_BYTES:
                raise _BadAnswer("chunked answer over %d bytes" % MAX_ANSWER_BYTES)
            chunk = reader.read(size)
            if len(chunk) < size:
                raise ConnectionError("chunked answer cut short")
            chunks.append(chunk)
            reader.readline(3)


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
