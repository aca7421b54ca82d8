"""The JSONL spool: events written before sending, acknowledgements written after.

One JSON object a line:
  an event                      {"id": "...", "type": "...", ...}
  a workflow spec to register   {"$spec": {...}}
  acknowledged event ids        {"$ack": ["id", ...]}
  events the server rejected    {"$rejected": [{"id", "field", "code", "message"}]}
  a batch given up on           {"$failed": {"ids": [...], "reason": "..."}}  (stays unacknowledged)
Append-only, so a crash loses at most a torn last line, which reading skips. Events neither
acknowledged nor rejected are what the next start, or `python -m provml replay`, sends again.
"""
import collections
import errno
import json
import logging
import os
import threading

try:
    import fcntl
except ImportError:  # not on POSIX: no cross-process lock, the rest works
    fcntl = None

from .transport import dumps

log = logging.getLogger("provml")


class SpoolLocked(RuntimeError):
    """Another live process holds this spool file."""


class SpoolContents(object):
    """What a spool file holds: specs, events still to send, and the tallies of the rest."""

    def __init__(self):
        self.specs = []
        self.pending = []
        self.acked = 0
        self.rejected = 0
        self.rejected_events = []
        self.torn_lines = 0
        self.torn_at = []  # 1-based line numbers of torn lines (a crash mid-write), in file order
        self.failed_reasons = []


def read_spool(path, include_rejected=False):
    """Parse a spool; `pending` keeps the original order of events not yet acknowledged.

    A line that is not a whole record (torn by a crash mid-write) is counted in `torn_at` by its
    line number and skipped: every whole line around it still counts.
    """
    contents = SpoolContents()
    events = {}
    acked = set()
    rejected = set()
    with open(path, "r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
                kind = _apply(record, contents, events, acked, rejected)
            except (ValueError, TypeError, AttributeError):
                kind = None
            if kind is None:
                contents.torn_lines += 1
                contents.torn_at.append(number)
    for event_id, event in events.items():
        if event_id in acked:
            contents.acked += 1
        elif event_id in rejected and not include_rejected:
            contents.rejected += 1
            contents.rejected_events.append(event)
        else:
            contents.pending.append(event)
    return contents


def _apply(record, contents, events, acked, rejected):
    """Take one parsed line into the tallies; None when it is no record of the spool format."""
    if not isinstance(record, dict):
        return None
    if "$ack" in record:
        acked.update(str(i) for i in record["$ack"])
    elif "$rejected" in record:
        rejected.update(item.get("id") if isinstance(item, dict) else item for item in record["$rejected"])
    elif "$spec" in record:
        contents.specs.append(record["$spec"])
    elif "$failed" in record:
        failed = record["$failed"]
        contents.failed_reasons.append(failed.get("reason", "") if isinstance(failed, dict) else "")
    elif isinstance(record.get("id"), str):
        events.setdefault(record["id"], record)
    else:
        return None
    return True


# What a spool keeps in memory while its disk refuses writes (ENOSPC, EDQUOT, EIO): beyond this,
# new event lines are dropped and counted (`dropped_events`), never silently.
MAX_BUFFERED_BYTES = 32 * 1024 * 1024


class SpoolWriter(object):
    """Appends to one spool file, holding an exclusive lock on it while open.

    Writes go through os.write on an O_APPEND descriptor, so what reached the file is known to
    the byte. When the disk refuses a write (full, quota, I/O error), nothing raises into the
    job: the lines not written stay in memory, in order (up to `max_buffered_bytes`), every later
    write tries them first, a warning says so once, and event lines beyond the bound are counted
    in `dropped_events`. `close()` makes a last try and returns the lines still not written, for
    the caller to put elsewhere.
    """

    def __init__(self, path, fsync=True, max_buffered_bytes=MAX_BUFFERED_BYTES):
        self.path = path
        self.fsync = fsync
        self.max_buffered_bytes = max_buffered_bytes
        self.dropped_events = 0
        self.write_errors = 0
        self.last_error = None
        # Lines not yet wholly on disk, in order: [text, encoded bytes, bytes already written].
        self._pending = collections.deque()
        self._pending_bytes = 0
        self._warned = False
        self._lock = threading.Lock()  # close() may write while the sender is still alive
        self._closed = False
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                os.close(self._fd)
                if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise SpoolLocked("spool %s is in use by another process" % path)
                raise
        # A torn last line from a crash must not swallow the first line written now.
        size = os.fstat(self._fd).st_size
        if size > 0 and os.pread(self._fd, 1, size - 1) != b"\n":
            self._enqueue([""], False, 0)
            self._flush_pending()

    @property
    def buffered(self):
        """Bytes waiting in memory for the disk to take them."""
        return self._pending_bytes

    def _failed(self, err):
        self.write_errors += 1
        self.last_error = err
        if not self._warned:
            self._warned = True
            log.warning("provml: cannot write the spool %s (%s); keeping up to %d MB of it in "
                        "memory and retrying on every write; events beyond that are counted "
                        "as dropped", self.path, err.strerror or err,
                        self.max_buffered_bytes // (1024 * 1024) or 1)
        return False

    def _enqueue(self, lines, events, written):
        """Keep `lines` (of which the first `written` bytes reached the disk) for a later try."""
        for line in lines:
            data = (line + "\n").encode("utf-8")
            if written >= len(data):
                written -= len(data)
                continue
            if self._pending and self._pending_bytes + len(data) > self.max_buffered_bytes:
                if events:
                    self.dropped_events += 1
                continue
            self._pending.append([line, data, written])
            self._pending_bytes += len(data) - written
            written = 0

    def _flush_pending(self):
        """Write what is pending (the slow path, after a refused write); True once all of it
        is on disk (fsynced when asked)."""
        try:
            while self._pending:
                entry = self._pending[0]
                n = os.write(self._fd, entry[1][entry[2]:])
                entry[2] += n
                self._pending_bytes -= n
                if entry[2] == len(entry[1]):
                    self._pending.popleft()
            if self.fsync:
                os.fsync(self._fd)
            return True
        except OSError as err:
            return self._failed(err)

    def _write(self, lines, events=False):
        with self._lock:
            if self._closed:
                raise ValueError("spool %s is closed" % self.path)
            # The older lines first, so the file keeps its order; while the disk refuses them,
            # the new ones queue behind.
            if self._pending and not self._flush_pending():
                self._enqueue(lines, events, 0)
                return
            data = "".join(line + "\n" for line in lines).encode("utf-8")
            written = 0
            try:
                while written < len(data):
                    written += os.write(self._fd, data[written:])
                if self.fsync:
                    os.fsync(self._fd)
            except OSError as err:
                self._enqueue(lines, events, written)
                self._failed(err)

    def append_events(self, events):
        if events:
            self._write([dumps(event) for event in events], events=True)

    def append_lines(self, texts):
        """Events already serialised by `dumps` (one line each)."""
        if texts:
            self._write(texts, events=True)

    def append_spec(self, spec):
        self._write([dumps({"$spec": spec})])

    def ack(self, ids):
        if ids:
            self._write([dumps({"$ack": list(ids)})])

    def reject(self, issues):
        if issues:
            self._write([dumps({"$rejected": list(issues)})])

    def failed(self, ids, reason):
        self._write([dumps({"$failed": {"ids": list(ids), "reason": reason}})])

    def close(self):
        """Last try at what is pending, then close; returns the whole lines that never reached
        the file (empty when all did), for the caller to keep elsewhere."""
        with self._lock:
            if self._closed:
                return []
            self._closed = True
            # A line begun on disk is there torn (replay names it) and whole in what is returned.
            left = [] if self._flush_pending() else [e[0] for e in self._pending if e[0]]
            os.close(self._fd)
            return left
