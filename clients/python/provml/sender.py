"""The pipeline between capture calls and the server.

`put()` is the only thing a capture call does here: append to a deque (atomic under the GIL),
and once the queue is full, append to an overflow file instead (or drop and count, if so
configured). Everything slow happens in one background thread: registering the spec,
writing the spool, sending batches, retrying, acknowledging.

Order is kept: once events spill, every later event spills too until the sender has sent the
queue, so a taskEnd never overtakes its taskBegin.

When a batch leaves (flush on idle): the first event put into an empty queue wakes the sender,
which holds the batch while events keep coming. It leaves once it holds `batch_size` events, once
its first event is `linger` old (default 0.1 s), or once the queue has been quiet for `linger / 5`
if nothing was sent in the last `linger`. So a lone event is sent within ~20 ms, a steady trickle
goes at most every `linger` (the sender's CPU and GIL time per second stay bounded), and a dense
training loop still sends full batches. `linger=None` is the older behaviour: a batch every
`flush_interval` or when full.

Each event is serialised once, by the sender when it takes the event off the queue: the spool
line, the request body (joined from those texts), resends and 413 halves reuse that text.
"""
import collections
import json
import logging
import os
import random
import threading
import time

from . import transport as tp
from .spool import SpoolWriter
from .transport import dumps

log = logging.getLogger("provml")
_monotonic = time.monotonic

ONLINE, SPOOL, OFFLINE = "online", "online+spool", "offline"
MODES = (ONLINE, SPOOL, OFFLINE)


def _records(events):
    """(id, JSON text) of each event: the one serialisation an event gets on its way."""
    return [(event["id"], dumps(event)) for event in events]


class Stats(object):
    """Counters of what happened to the events (read them; the sender writes them)."""

    # parked: taken by the server and kept until the run or task they name lands there (another
    # process sends its begin); acknowledged like accepted ones, never resent.
    # dropped: events lost, each counted and logged: on_full='drop', or a full disk that took
    # neither the spool, nor its memory buffer (SpoolWriter), nor a rescue file at close.
    FIELDS = ("queued", "accepted", "duplicates", "rejected", "parked", "failed", "spooled",
              "spilled", "dropped", "retries", "batches", "resent")

    def __init__(self):
        for name in self.FIELDS:
            setattr(self, name, 0)
        self.issues = []  # the first rejected-event issues, for the report
        self.last_error = None

    def as_dict(self):
        return {name: getattr(self, name) for name in self.FIELDS}


class CloseReport(object):
    """What `close()` leaves behind: `unsent` events, and where they were written."""

    def __init__(self, unsent, path, stats):
        self.unsent = unsent
        self.path = path
        self.stats = stats
        self.rescued = None  # a rescue file of spool lines its full disk refused (see _rescue)

    def __repr__(self):
        return "CloseReport(unsent=%d, path=%r, stats=%r)" % (self.unsent, self.path,
                                                              self.stats.as_dict())


class Pipeline(object):
    def __init__(self, mode, transport=None, spool_path=None, spill_dir=None, tag="run",
                 spec=None, batch_size=50, flush_interval=1.0, max_queue=20000, on_full="spill",
                 backoff_base=0.2, backoff_max=30.0, max_retry_after=300.0, spool_fsync=True,
                 fatal_attempts=3, linger=0.1, spool_memory=None):
        if mode not in MODES:
            raise ValueError("mode: must be one of %s, got %r" % (", ".join(MODES), mode))
        if on_full not in ("spill", "drop"):
            raise ValueError("on_full: must be 'spill' or 'drop', got %r" % (on_full,))
        if mode != OFFLINE and transport is None:
            raise ValueError("server: required in mode %r" % mode)
        if mode != ONLINE and not spool_path:
            raise ValueError("spool: a file path is required in mode %r" % mode)
        if batch_size < 1 or max_queue < 1:
            raise ValueError("batch_size and max_queue: must be at least 1")
        if linger is not None and not 0 < linger <= 60:
            raise ValueError("linger: seconds in (0, 60], or None, got %r" % (linger,))
        self.mode = mode
        self.transport = transport
        self.spec = spec
        self.version = None
        self.batch_size = int(batch_size)
        self.flush_interval = float(flush_interval)
        self.linger = None if linger is None else float(linger)
        self._eager = linger is not None  # the first event of a batch wakes the sender
        self._first_at = 0.0  # monotonic time the queue last went from empty to one event
        self._last_send = float("-inf")
        self.max_queue = int(max_queue)
        self.on_full = on_full
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.fatal_attempts = fatal_attempts
        self.spill_dir = spill_dir or os.path.join(os.getcwd(), ".provml-spool")
        self.tag = tag
        self.stats = Stats()
        # spool_memory: bytes of spool kept in memory while its disk refuses writes (full).
        spool_kw = {} if spool_memory is None else {"max_buffered_bytes": int(spool_memory)}
        self.spool = SpoolWriter(spool_path, fsync=spool_fsync, **spool_kw) if spool_path else None
        self._fallback = None  # a spool-format file for what could not be sent (online mode)
        self._q = collections.deque()
        self._spilling = False
        self._spill_lock = threading.Lock()
        self._spill_handle = None
        self._spill_path = None
        self._spill_count = 0
        self._spill_seq = 0
        self._warned = set()
        self._wake = threading.Event()
        self._started = threading.Event()  # set once the spec is registered and leftovers resent
        self._interrupt = threading.Event()
        self._stop = False
        self.deadline = None
        self._unsent = []  # (id, text) records given to _send: already in the spool, if any
        self._unsent_fresh = []  # never reached _deliver: in no spool yet
        self._inflight = None
        self._closed = None
        self.rescue_path = None  # where close() put spool lines a full disk refused, if it had to
        self._thread = threading.Thread(target=self._run, name="provml-sender", daemon=True)
        self._thread.start()

    # -- the capture side: cheap ------------------------------------------------------------
    def put(self, event):
        q = self._q
        if self._spilling or len(q) >= self.max_queue:
            self._overflow(event)
            return
        q.append(event)
        n = len(q)
        if n == 1:
            self._first_at = _monotonic()
        if (n >= self.batch_size or (n == 1 and self._eager)) and not self._wake.is_set():
            self._wake.set()

    def _overflow(self, event):
        with self._spill_lock:
            if not self._spilling and len(self._q) < self.max_queue:
                self._q.append(event)
                return
            if self.on_full == "drop" or self._closed is not None:
                self.stats.dropped += 1
                self._warn_once("drop", "provml: queue full (%d events): dropping events and "
                                "counting them (on_full='drop')" % self.max_queue)
                return
            try:
                if self._spill_handle is None:
                    os.makedirs(self.spill_dir, exist_ok=True)
                    self._spill_seq += 1
                    self._spill_path = os.path.join(
                        self.spill_dir, "overflow-%s-%d-%d.jsonl" % (self.tag, os.getpid(),
                                                                     self._spill_seq))
                    self._spill_handle = open(self._spill_path, "w", encoding="utf-8")
                    self._spill_count = 0
                    self._spilling = True
                    self._warn_once("spill", "provml: queue full (%d events): spilling to %s "
                                    "until the sender catches up"
                                    % (self.max_queue, self._spill_path))
                self._spill_handle.write(dumps(event) + "\n")
            except OSError as err:
                # Queue full and the disk too: the job must go on; the loss is counted and said.
                self.stats.dropped += 1
                self._warn_once("spill-failed", "provml: queue full and the overflow file cannot "
                                "be written (%s): dropping events and counting them" % (err,))
                return
            self._spill_count += 1
            self.stats.spilled += 1

    def _take_spill(self):
        """Hand the sender the overflow file once the queue before it is empty."""
        with self._spill_lock:
            if self._spill_handle is None or self._q:
                return None
            try:
                self._spill_handle.close()
            except OSError:
                pass  # its buffer's tail did not reach the disk: _send_file counts what is missing
            path, self._spill_handle, self._spilling = self._spill_path, None, False
            return path

    def _warn_once(self, key, message):
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)

    # -- the sender thread ------------------------------------------------------------------
    def _run(self):
        try:
            try:
                self._startup()
            finally:
                self._started.set()
            while True:
                if self.linger is None or not self._q:
                    self._wake.wait(self.flush_interval)
                    self._wake.clear()
                if self.linger is not None:
                    self._hold()
                if not self._drain():
                    return
                if self._stop and not self._q and self._spill_handle is None:
                    return
        except Exception as err:  # a bug must not take the job down; close() keeps the events
            self.stats.last_error = "sender crashed: %r" % (err,)
            log.exception("provml: sender thread crashed; unsent events go to disk at close")

    def _startup(self):
        leftovers = []
        if self.spool is not None:
            from .spool import read_spool
            contents = read_spool(self.spool.path)
            leftovers = contents.pending
            specs = contents.specs
            if self.spec is not None:
                self.spool.append_spec(self.spec)
        else:
            specs = []
        if self.mode == OFFLINE:
            return
        for spec in specs + ([self.spec] if self.spec is not None else []):
            if not self._register(spec, is_current=spec is self.spec):
                return
        if leftovers:
            log.info("provml: resending %d unacknowledged events from %s", len(leftovers),
                     self.spool.path)
            for start in range(0, len(leftovers), self.batch_size):
                batch = leftovers[start:start + self.batch_size]
                if not self._send(_records(batch)):
                    self._unsent.extend(_records(leftovers[start + self.batch_size:]))
                    return
                self.stats.resent += len(batch)

    def _register(self, spec, is_current):
        attempt = 0
        while True:
            outcome = self.transport.register(spec)
            if outcome.kind == tp.ACK:
                if is_current and isinstance(outcome.data, dict):
                    self.version = outcome.data.get("version")
                return True
            if self._retryable(outcome, attempt):
                self.stats.retries += 1
                if not self._sleep(self._delay(outcome, attempt)):
                    return False
                attempt += 1
                continue
            self.stats.last_error = "registerWorkflow: %s" % outcome.reason
            log.error("provml: could not register workflow %r: %s", spec.get("name"),
                      outcome.reason)
            return True

    def _hold(self):
        """Flush on idle: hold a partial batch until it is full, `linger` old, or the queue is
        quiet and nothing was sent in the last `linger`."""
        q, linger = self._q, self.linger
        self._wake.clear()  # a wake left from the last send says nothing about this batch
        quiet = linger / 5
        seen = len(q)
        while 0 < seen < self.batch_size and not self._stop:
            now = time.monotonic()
            due = self._first_at + linger
            if now >= due:
                return
            if self._wake.wait(min(quiet, due - now)):  # a full batch, flush() or close()
                self._wake.clear()
                return
            n = len(q)
            if n == seen and time.monotonic() - self._last_send >= linger:
                return
            seen = n

    def _drain(self):
        """Send what is queued or spilled; False once the close deadline has passed.

        With a linger, only the first batch may leave partial: a partial rest waits for the
        next turn's hold, so a steady stream goes in full batches, not one small one per send.
        """
        first = True
        while True:
            if (not first and self.linger is not None and not self._stop
                    and 0 < len(self._q) < self.batch_size):
                # Events left behind by the last pop never took the queue from empty: their
                # linger counts from that pop (they came between the full wake and it).
                self._first_at = max(self._first_at, popped_at)
                return True
            first = False
            popped_at = _monotonic()
            batch = []
            popleft = self._q.popleft
            try:
                while len(batch) < self.batch_size:
                    batch.append(popleft())
            except IndexError:
                pass
            if not batch:
                path = self._take_spill()
                if path is None:
                    return True
                if not self._send_file(path):
                    return False
                continue
            if not self._deliver(batch):
                return False

    def _send_file(self, path):
        events = self._read_spill(path)
        for start in range(0, len(events), self.batch_size):
            batch = events[start:start + self.batch_size]
            if not self._deliver(batch):
                self._unsent_fresh.extend(events[start + self.batch_size:])
                os.unlink(path)
                return False
        os.unlink(path)
        return True

    def _read_spill(self, path):
        """The events of an overflow file; those a full disk kept out of it are counted as
        dropped (the file is written by put() only, so its count is known)."""
        events = []
        try:
            with open(path, "r", encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        events.append(json.loads(line))
                    except ValueError:
                        pass
        except OSError:
            pass
        missing = self._spill_count - len(events)
        if missing > 0:
            self.stats.dropped += missing
            log.error("provml: %d spilled event(s) never reached %s (disk full?); counted as "
                      "dropped", missing, path)
        return events

    def _deliver(self, batch):
        if self.version is not None and self.spec is not None:
            for event in batch:
                if event.get("type") == "workflowBegin" and "version" not in event \
                        and event.get("workflow") == self.spec.get("name"):
                    event["version"] = self.version
        records = _records(batch)
        if self.spool is not None:
            self.spool.append_lines([text for _, text in records])
            self.stats.spooled += len(batch)
        if self.mode == OFFLINE:
            return True
        return self._send(records)

    def _delay(self, outcome, attempt):
        if outcome.retry_after is not None:
            return min(outcome.retry_after, self.max_retry_after)
        delay = min(self.backoff_max, self.backoff_base * (2 ** attempt))
        return delay * (0.5 + random.random() / 2)  # jitter: many ranks must not retry in step

    def _sleep(self, delay):
        """Wait `delay` seconds; False (without waiting) when that would pass the deadline."""
        until = time.monotonic() + delay
        while True:
            if self.deadline is not None and until > self.deadline:
                return False
            remaining = until - time.monotonic()
            if remaining <= 0:
                return True
            if self._interrupt.wait(remaining):
                self._interrupt.clear()

    def _retryable(self, outcome, attempt):
        # A malformed answer may be a proxy's hiccup: a few tries. A 4xx will not change.
        if outcome.kind == tp.RETRY:
            return True
        client_error = outcome.status is not None and 400 <= outcome.status < 500
        return outcome.kind == tp.FATAL and not client_error and attempt + 1 < self.fatal_attempts

    def _send(self, batch):
        """Send one batch of (id, text) records until acknowledged or given up; False when out
        of time."""
        attempt = 0
        self._inflight = batch
        try:
            while True:
                if self.deadline is not None and time.monotonic() > self.deadline:
                    self._unsent.extend(batch)
                    return False
                self._last_send = time.monotonic()
                outcome = self.transport.send_serialised([text for _, text in batch])
                self.stats.batches += 1
                if outcome.kind == tp.ACK:
                    self._acknowledge(batch, outcome.data)
                    return True
                if outcome.kind == tp.TOO_LARGE and len(batch) > 1:
                    half = len(batch) // 2
                    return self._send(batch[:half]) and self._send(batch[half:])
                if not self._retryable(outcome, attempt):
                    self._give_up(batch, outcome.reason)
                    return True
                self.stats.retries += 1
                self.stats.last_error = outcome.reason
                self._warn_once("retry", "provml: server not taking events (%s); retrying with "
                                "backoff" % outcome.reason)
                if not self._sleep(self._delay(outcome, attempt)):
                    self._unsent.extend(batch)
                    return False
                attempt += 1
        finally:
            self._inflight = None

    def _acknowledge(self, batch, data):
        issues = data.get("issues") or []
        rejected = {}
        for issue in issues:
            event_id = issue.get("eventId")
            index = issue.get("index")
            if event_id is None and isinstance(index, int) and 0 <= index < len(batch):
                event_id = batch[index][0]
            rejected[event_id] = {"id": event_id, "field": issue.get("field"),
                                  "code": issue.get("code"), "message": issue.get("message")}
        self.stats.accepted += data.get("accepted", 0)
        self.stats.duplicates += data.get("duplicates", 0)
        self.stats.rejected += data.get("rejected", 0)
        parked = data.get("parked", 0)
        if isinstance(parked, int) and parked > 0:
            self.stats.parked += parked
            self._warn_once("parked", "provml: server parked %d event(s) until the run or task they "
                            "name lands (sent by another process); they are stored, not resent"
                            % parked)
        acked = [event_id for event_id, _ in batch if event_id not in rejected]
        if self.spool is not None:
            self.spool.ack(acked)
        if rejected:
            records = list(rejected.values())
            if len(self.stats.issues) < 100:
                self.stats.issues.extend(records[:100 - len(self.stats.issues)])
            first = records[0]
            log.warning("provml: server rejected %d event(s), e.g. %s at %s: %s %s",
                        len(records), first["id"], first["field"], first["code"],
                        first["message"])
            if self.spool is not None:
                self.spool.reject(records)
            else:
                fallback = self._fallback_writer()
                fallback.append_lines([text for event_id, text in batch if event_id in rejected])
                fallback.reject(records)

    def _give_up(self, batch, reason):
        """A 4xx or a malformed answer: keep the events on disk, say so, move on."""
        self.stats.failed += len(batch)
        self.stats.last_error = reason
        writer = self.spool if self.spool is not None else self._fallback_writer()
        if writer is not self.spool:
            writer.append_lines([text for _, text in batch])
        writer.failed([event_id for event_id, _ in batch], reason)
        log.error("provml: gave up sending %d event(s) (%s); kept in %s for "
                  "`python -m provml replay`", len(batch), reason, writer.path)

    def _fallback_writer(self):
        if self._fallback is None:
            path = os.path.join(self.spill_dir, "unsent-%s-%d.jsonl" % (self.tag, os.getpid()))
            self._fallback = SpoolWriter(path)
            if self.spec is not None:
                self._fallback.append_spec(self.spec)
        return self._fallback

    def _rescue(self, lines):
        """Spool lines a full disk never took: written to a rescue file in the spill directory,
        else the system temp directory, and said where; returns how many events were lost."""
        if not lines:
            return 0
        import tempfile
        name = "rescued-%s-%d.jsonl" % (self.tag, os.getpid())
        for directory in (self.spill_dir, tempfile.gettempdir()):
            try:
                writer = SpoolWriter(os.path.join(directory, name), fsync=True)
            except OSError:
                continue
            if self.spec is not None and not any(line.startswith('{"$spec"') for line in lines):
                writer.append_spec(self.spec)
            writer.append_lines(lines)
            if not writer.close():
                log.warning("provml: the spool's disk was full: %d line(s) it could not take are "
                            "in %s; replay it with `python -m provml replay %s`",
                            len(lines), writer.path, writer.path)
                self.rescue_path = writer.path
                return 0
            try:
                os.unlink(writer.path)  # the same full disk: what it holds is in `lines` still
            except OSError:
                pass
        events = sum(1 for line in lines if not line.startswith('{"$'))
        self.stats.dropped += events
        log.error("provml: the spool's disk was full and no rescue file could be written: %d "
                  "event(s) lost, counted in stats.dropped", events)
        return events

    # -- shutdown ---------------------------------------------------------------------------
    def flush(self, timeout=None):
        """Wait until the queue is sent (or `timeout` passes); True when nothing is left."""
        end = None if timeout is None else time.monotonic() + timeout
        if not self._started.wait(timeout):
            return False
        while self._thread.is_alive():
            if not self._q and self._spill_handle is None and self._inflight is None:
                return True
            self._wake.set()
            if end is not None and time.monotonic() > end:
                return False
            time.sleep(0.005)
        return not self._q

    def close(self, timeout=10.0):
        """Send what is left for at most `timeout` seconds, then write the rest to disk."""
        if self._closed is not None:
            return self._closed
        self.deadline = time.monotonic() + max(0.0, timeout)
        self._stop = True
        self._wake.set()
        self._interrupt.set()
        self._thread.join(max(0.0, timeout) + 0.5)
        spooled = list(self._unsent)
        if self._thread.is_alive() and self._inflight is not None:
            spooled.extend(self._inflight)  # unknown fate: resending is harmless (event ids)
        unsent = list(self._unsent_fresh)
        with self._spill_lock:
            while self._q:
                unsent.append(self._q.popleft())
            if self._spill_handle is not None:
                try:
                    self._spill_handle.close()
                except OSError:
                    pass
                unsent.extend(self._read_spill(self._spill_path))
                try:
                    os.unlink(self._spill_path)
                except OSError:
                    pass
                self._spill_handle, self._spilling = None, False
            self._closed = True
        path = None
        if self.spool is not None:
            self.spool.append_events(unsent)
            path = self.spool.path
        elif spooled or unsent:
            writer = self._fallback_writer()
            writer.append_lines([text for _, text in spooled] + [dumps(e) for e in unsent])
            path = writer.path
        unsent = spooled + unsent
        if unsent and self.mode != OFFLINE:
            log.warning("provml: %d event(s) not sent at close; kept in %s for "
                        "`python -m provml replay`", len(unsent), path)
        left = []
        if self.spool is not None:
            left = self.spool.close()
        if self._fallback is not None:
            path = path or self._fallback.path
            left.extend(self._fallback.close())
        lost = self._rescue(left)
        if self.transport is not None:
            self.transport.close()
        spool_dropped = sum(w.dropped_events for w in (self.spool, self._fallback) if w is not None)
        if spool_dropped:
            self.stats.dropped += spool_dropped
            log.error("provml: %d event line(s) were not kept in the spool: its disk was full and "
                      "its memory buffer at its bound (counted in stats.dropped; %s)", spool_dropped,
                      "lost" if self.mode == OFFLINE else "sent to the server if it took them")
        count = len(unsent) + (self.stats.spooled if self.mode == OFFLINE else 0)
        if self.mode == OFFLINE:
            count -= spool_dropped + lost
        self._closed = CloseReport(count, path, self.stats)
        self._closed.rescued = self.rescue_path
        return self._closed
