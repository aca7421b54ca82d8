"""The capture API: a Client per run, tasks as context managers or begin/end.

Every capture call builds one event dict and hands it to the pipeline's `put()`; nothing here
waits on the network or the disk. Event ids are `<run>:<sequence>` (with a per-process token
when the run id was given by the caller, so a restarted job reusing a run id never collides).
"""
import atexit
import itertools
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid

from . import sender as snd
from .execution import execution_data
from .spec import load_spec
from .telemetry import GpuProbe, ProcessProbe, Sampler
from .transport import HttpTransport

log = logging.getLogger("provml")

_now = time.time
AUTO = object()  # "the innermost open task of this thread"
STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED")


def ref(uri, store=None):
    """A data reference: a value that points into a store (ProvLake's get_data_reference)."""
    if not isinstance(uri, str) or not uri:
        raise ValueError("ref: uri must be a non-empty string")
    return {"$ref": uri} if store is None else {"$ref": uri, "store": store}


class _Stack(threading.local):
    def __init__(self):
        self.tasks = []


class Task(object):
    """One task execution. `with client.task(...) as t:` ends it (FAILED on an exception)."""

    __slots__ = ("client", "id", "name", "parent", "generated", "ended")

    def __init__(self, client, task_id, name, parent):
        self.client = client
        self.id = task_id
        self.name = name
        self.parent = parent
        self.generated = None
        self.ended = False

    def out(self, values=None, **more):
        """Record generated values; they travel with the taskEnd event."""
        if self.generated is None:
            self.generated = {}
        if values:
            self.generated.update(values)
        if more:
            self.generated.update(more)
        return self

    def end(self, generated=None, status=None, attributes=None):
        if generated:
            self.out(generated)
        self.client.end(self, status=status, attributes=attributes)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self.ended:
            self.client.end(self, status="FAILED" if exc_type is not None else None)
        return False

    def __repr__(self):
        return "Task(%r, %r)" % (self.id, self.name)


class Client(object):
    """A run of one workflow and the pipeline that carries its events to the server."""

    def __init__(self, spec=None, server=None, workflow=None, run=None, mode=None, spool=None,
                 spill_dir=None, batch_size=50, flush_interval=1.0, max_queue=20000,
                 on_full="spill", timeout=10.0, sample_interval=None, gpu=True, used=None,
                 attributes=None, agent=None, version=None, begin=True, exit_timeout=10.0,
                 handle_sigterm=True, spool_fsync=True, backoff_base=0.2, backoff_max=30.0,
                 linger=0.1, token=None, spool_memory=None):
        self.spec = load_spec(spec) if spec is not None else None
        self.workflow = workflow or (self.spec["name"] if self.spec else None)
        if not self.workflow:
            raise ValueError("workflow: give a spec or a workflow name")
        server = server if server is not None else os.environ.get("PROVML_SERVER")
        # API token of a server with access control; sent as Authorization: Bearer, kept nowhere else.
        token = token if token is not None else os.environ.get("PROVML_TOKEN")
        if run is None:
            self.run = "%s-%s" % (self.workflow, uuid.uuid4().hex[:12])
            self._prefix = self.run + ":"
            self._task_prefix = self.run + "."
        else:
            # A run named by the caller may be shared (ranks of one job, a restarted process):
            # this process's event ids and task ids carry a tag of their own, so none collides.
            self.run = str(run)
            tag = uuid.uuid4().hex[:6]
            self._prefix = "%s:%s." % (self.run, tag)
            self._task_prefix = "%s.%s." % (self.run, tag)
        tag = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.run)[:80]
        spill_dir = spill_dir or os.environ.get("PROVML_SPOOL_DIR") or os.path.join(
            os.getcwd(), ".provml-spool")
        spool = spool if spool is not None else os.environ.get("PROVML_SPOOL")
        mode = mode or os.environ.get("PROVML_MODE") or (
            (snd.SPOOL if spool else snd.ONLINE) if server else snd.OFFLINE)
        if mode == snd.OFFLINE and not spool:
            spool = os.path.join(spill_dir, "%s.jsonl" % tag)
        if spool:
            spool = os.fspath(spool).format(pid=os.getpid(), run=tag, host=socket.gethostname())
        self.mode = mode
        self.pipeline = snd.Pipeline(
            mode, transport=HttpTransport(server, timeout=timeout, token=token) if mode != snd.OFFLINE else None,
            spool_path=spool if mode != snd.ONLINE else None, spill_dir=spill_dir, tag=tag,
            spec=self.spec, batch_size=batch_size, flush_interval=flush_interval,
            max_queue=max_queue, on_full=on_full, spool_fsync=spool_fsync,
            backoff_base=backoff_base, backoff_max=backoff_max, linger=linger,
            spool_memory=spool_memory)
        self.stats = self.pipeline.stats
        self._put = self.pipeline.put
        self._seq = itertools.count(1)
        self._task_seq = itertools.count(1)
        self._stack = _Stack()
        self._main_stack = self._stack.tasks  # what the sampler thread attributes samples to
        self._closed = None
        self._failed = False
        self._gpu = GpuProbe() if gpu else None
        self._proc = ProcessProbe()
        self._sampler = None
        self.exit_timeout = exit_timeout
        self.execution = execution_data()
        if self._gpu is not None:
            self.execution["gpuTelemetry"] = self._gpu.source
        if begin:
            attrs = dict(self.execution)
            attrs.update(attributes or {})
            event = self._event("workflowBegin", run=self.run, workflow=self.workflow,
                                attributes=attrs)
            if used:
                event["used"] = dict(used)
            if version is not None:
                event["version"] = version
            if agent is not None:
                self.agent(agent, kind="PERSON")
                event["agent"] = agent
            self._put(event)
        self._began = begin
        atexit.register(self._at_exit)
        self._previous_sigterm = None
        if handle_sigterm and threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGTERM)
            if current in (signal.SIG_DFL, None) or callable(current):
                self._previous_sigterm = current
                signal.signal(signal.SIGTERM, self._on_sigterm)
        if sample_interval:
            self._sampler = Sampler(sample_interval, self._sample_from_thread)
            self._sampler.start()

    # -- events -----------------------------------------------------------------------------
    def _event(self, event_type, **fields):
        # Not `kind`: an agent event has a field of that name (agent(..., kind="PERSON")).
        fields["id"] = self._prefix + str(next(self._seq))
        fields["type"] = event_type
        fields["time"] = _now() * 1000.0
        return fields

    def emit(self, event):
        """Enqueue a raw event (docs/ingest.md); `id` and `time` are filled in when absent."""
        event = dict(event)
        event.setdefault("id", self._prefix + str(next(self._seq)))
        event.setdefault("time", _now() * 1000.0)
        self._put(event)
        return event["id"]

    # -- ProvLake style ---------------------------------------------------------------------
    def task(self, transformation, used=None, parent=AUTO, attributes=None, **values):
        """Begin a task of `transformation` (declared in the spec); nests under the open task."""
        stack = self._stack.tasks
        if parent is AUTO:
            parent = stack[-1] if stack else None
        task_id = self._task_prefix + transformation + "." + str(next(self._task_seq))
        event = {"id": self._prefix + str(next(self._seq)), "type": "taskBegin",
                 "time": _now() * 1000.0, "task": task_id, "run": self.run,
                 "transformation": transformation}
        if parent is not None:
            event["parent"] = parent.id if isinstance(parent, Task) else parent
        else:
            event["host"] = self.execution["host"]
        if values:
            used = dict(used, **values) if used else values
        if used:
            event["used"] = used
        if attributes:
            event["attributes"] = attributes
        self._put(event)
        task = Task(self, task_id, transformation, parent)
        stack.append(task)
        return task

    begin = task

    def end(self, task, generated=None, status=None, attributes=None):
        """End a task; `generated` adds to what `task.out()` recorded."""
        if task.ended:
            raise ValueError("task %s: already ended" % task.id)
        task.ended = True
        event = {"id": self._prefix + str(next(self._seq)), "type": "taskEnd",
                 "time": _now() * 1000.0, "task": task.id}
        if generated:
            task.out(generated)
        if task.generated:
            event["generated"] = task.generated
        if status is not None:
            if status not in STATUSES:
                raise ValueError("status: one of %s, got %r" % (", ".join(STATUSES), status))
            event["status"] = status
        if attributes:
            event["attributes"] = attributes
        self._put(event)
        stack = self._stack.tasks
        if stack and stack[-1] is task:
            stack.pop()
        elif task in stack:
            stack.remove(task)

    def current_task(self):
        stack = self._stack.tasks
        return stack[-1] if stack else None

    def _task_id(self, task):
        if task is AUTO:
            stack = self._stack.tasks
            return stack[-1].id if stack else None
        return task.id if isinstance(task, Task) else task

    # -- yProv4ML / MLflow style ------------------------------------------------------------
    def log_param(self, name, value, task=AUTO):
        self.log_params({name: value}, task=task)

    def log_params(self, params, task=AUTO):
        event = self._event("values", run=self.run, used=dict(params))
        task_id = self._task_id(task)
        if task_id is not None:
            event["task"] = task_id
        self._put(event)

    def log_metric(self, name, value, step=None, context=None, task=AUTO):
        event = {"id": self._prefix + str(next(self._seq)), "type": "metric",
                 "time": _now() * 1000.0, "run": self.run, "name": name, "value": value}
        if step is not None:
            event["step"] = step
        if context is not None:
            event["context"] = context
        task_id = self._task_id(task)
        if task_id is not None:
            event["task"] = task_id
        self._put(event)

    def log_metrics(self, metrics, step=None, context=None, task=AUTO):
        for name, value in metrics.items():
            self.log_metric(name, value, step=step, context=context, task=task)

    def _log_values(self, direction, values, task):
        event = self._event("values", run=self.run)
        event[direction] = values
        task_id = self._task_id(task)
        if task_id is not None:
            event["task"] = task_id
        self._put(event)

    def log_artifact(self, path, name=None, store="fs", is_input=False, task=AUTO):
        """A file the run used or produced, by reference (the file itself stays where it is)."""
        name = name or os.path.basename(str(path)) or str(path)
        uri = os.path.abspath(str(path)) if store == "fs" else str(path)
        self._log_values("used" if is_input else "generated", {name: ref(uri, store)}, task)

    def log_model(self, uri, name="model", store="fs", task=AUTO):
        """A trained model by reference (ModelReference when the spec says so)."""
        self._log_values("generated", {name: ref(str(uri), store)}, task)

    def log_dataset(self, uri, name="dataset", store="fs", context=None, task=AUTO):
        """A dataset the run used, by reference; `context` (TRAINING, ...) prefixes the name."""
        key = "%s_%s" % (context.lower(), name) if context else name
        self._log_values("used", {key: ref(str(uri), store)}, task)

    def sample_system(self):
        """One telemetry sample now: GPUs, this process's CPU percent and RSS (not free)."""
        sample = {}
        if self._gpu is not None:
            gpus = self._gpu.sample()
            if gpus:
                sample["gpu"] = gpus
        cpu = self._proc.cpu_percent()
        if cpu is not None:
            sample["cpu"] = cpu
        rss = self._proc.rss()
        if rss is not None:
            sample["rss"] = rss
        return sample

    def log_system_metrics(self, task=AUTO):
        event = self._event("telemetry", run=self.run, host=self.execution["host"])
        event.update(self.sample_system())
        task_id = self._task_id(task)
        if task_id is not None:
            event["task"] = task_id
        self._put(event)

    def _sample_from_thread(self):
        stack = self._main_stack
        self.log_system_metrics(task=stack[-1].id if stack else None)

    def agent(self, agent_id, kind="PERSON", name=None, attributes=None):
        event = self._event("agent", agent=agent_id, kind=kind)
        if name:
            event["name"] = name
        if attributes:
            event["attributes"] = attributes
        self._put(event)

    def relation(self, relation, subject, object, subject_store=None, object_store=None):
        """An explicit PROV relation (WAS_DERIVED_FROM, HAD_MEMBER, WAS_INFORMED_BY, ...)."""
        event = self._event("relation", relation=relation, subject=subject, object=object)
        if subject_store:
            event["subjectStore"] = subject_store
        if object_store:
            event["objectStore"] = object_store
        self._put(event)

    def was_derived_from(self, derived, source, derived_store=None, source_store=None):
        self.relation("WAS_DERIVED_FROM", derived, source, derived_store, source_store)

    # -- ending -----------------------------------------------------------------------------
    def flush(self, timeout=None):
        """Block until everything queued so far is sent (tests, notebooks); True if so."""
        return self.pipeline.flush(timeout)

    def end_run(self, status=None, generated=None, timeout=None):
        """End open tasks and the run, send what is left, return the CloseReport."""
        if self._closed is not None:
            return self._closed
        if self._sampler is not None:
            self._sampler.stop()
        for task in reversed(list(self._main_stack)):
            if not task.ended:
                self.end(task, status=status or "KILLED")
        if self._began:
            event = self._event("workflowEnd", run=self.run,
                                status=status or ("FAILED" if self._failed else "FINISHED"))
            if generated:
                event["generated"] = generated
            self._put(event)
        self._put = self._after_close
        self._closed = self.pipeline.close(self.exit_timeout if timeout is None else timeout)
        try:
            atexit.unregister(self._at_exit)
        except Exception:
            pass
        if self._previous_sigterm is not None and \
                threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGTERM) == self._on_sigterm:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
        return self._closed

    def close(self, timeout=None, status=None):
        """Alias of end_run (ProvLake's prov.close()); returns what is still unsent."""
        return self.end_run(status=status, timeout=timeout)

    def _after_close(self, event):
        self.stats.dropped += 1
        self.pipeline._warn_once("closed", "provml: capture call after close(): event %s "
                                 "dropped and counted" % event.get("id"))

    def _at_exit(self):
        if self._closed is None:
            if getattr(sys, "last_type", None) is not None:
                self._failed = True
            self.end_run()

    def _on_sigterm(self, signum, frame):
        if self._closed is None:
            self.end_run(status="KILLED", timeout=min(self.exit_timeout, 5.0))
        previous = self._previous_sigterm
        if callable(previous) and previous is not self._on_sigterm:
            previous(signum, frame)
        else:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.end_run(status="FAILED" if exc_type is not None else None)
        return False
