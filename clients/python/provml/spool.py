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
import errno
import json
import os
import threading

try:
    import fcntl
except ImportError:  # not on POSIX: no cross-process lock, the rest works
    fcntl = None

from .transport import dumps


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


class SpoolWriter(object):
    """Appends to one spool file, holding an exclusive lock on it while open."""

    def __init__(self, path, fsync=True):
        self.path = path
        self.fsync = fsync
        self._lock = threading.Lock()  # close() may write while the sender is still alive
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self._handle = open(path, "a+", encoding="utf-8")
        if fcntl is not None:
            try:
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                self._handle.close()
                if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise SpoolLocked("spool %s is in use by another process" % path)
                raise
        # A torn last line from a crash must not swallow the first line written now.
        self._handle.seek(0, os.SEEK_END)
        if self._handle.tell() > 0:
            self._handle.seek(self._handle.tell() - 1)
            if self._handle.read(1) != "\n":
                self._handle.write("\n")
        self._handle.seek(0, os.SEEK_END)

    def _write(self, lines):
        with self._lock:
            if self._handle.closed:
                raise ValueError("spool %s is closed" % self.path)
            self._handle.write("".join(line + "\n" for line in lines))
            self._handle.flush()
            if self.fsync:
                os.fsync(self._handle.fileno())

    def append_events(self, events):
        if events:
            self._write([dumps(event) for event in events])

    def append_lines(self, texts):
        """Events already serialised by `dumps` (one line each)."""
        if texts:
            self._write(texts)

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
        with self._lock:
            if not self._handle.closed:
                self._handle.close()
