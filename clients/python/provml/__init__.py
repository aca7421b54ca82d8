"""provml: provenance capture for ML jobs (standard library only, Python 3.8+).

ProvLake style::

    import provml
    prov = provml.init(spec="training.yaml", server="http://127.0.0.1:4000")
    with prov.task("training", used={"batch_size": 60, "train_set": provml.ref(path, "fs")}):
        ...
    prov.close()

yProv4ML / MLflow style, on the same events::

    provml.start_run(spec="training.yaml", server="http://127.0.0.1:4000")
    provml.log_param("seed", 7); provml.log_metric("loss", 0.3, step=10, context="TRAINING")
    provml.end_run()
"""
from .client import AUTO, Client, Task, ref
from .sender import MODES, OFFLINE, ONLINE, SPOOL, CloseReport, Stats
from .spec import SpecError, load_spec
from .spool import SpoolLocked, read_spool

__version__ = "0.1.0"

__all__ = [
    "AUTO", "Client", "CloseReport", "MODES", "OFFLINE", "ONLINE", "SPOOL", "SpecError",
    "SpoolLocked", "Stats", "Task", "current", "end", "end_run", "flush", "init", "load_spec",
    "log_artifact", "log_dataset", "log_metric", "log_metrics", "log_model", "log_param",
    "log_params", "log_system_metrics", "read_spool", "ref", "start_run", "task", "begin",
    "close",
]

_client = None


def init(spec=None, server=None, **options):
    """Start a run (workflowBegin with execution data) and make it the module's current client."""
    global _client
    if _client is not None and _client._closed is None:
        raise RuntimeError("provml: a run is already open (%s); end_run() it first" % _client.run)
    _client = Client(spec=spec, server=server, **options)
    return _client


def start_run(spec=None, server=None, run_name=None, params=None, **options):
    """MLflow-style alias of init(); `params` become the run's used values."""
    if run_name is not None:
        options["run"] = run_name
    if params:
        options["used"] = params
    return init(spec=spec, server=server, **options)


def current():
    if _client is None:
        raise RuntimeError("provml: no run; call provml.init() or provml.start_run() first")
    return _client


def task(transformation, used=None, **kw):
    return current().task(transformation, used=used, **kw)


begin = task


def end(task_, generated=None, status=None):
    return current().end(task_, generated=generated, status=status)


def log_param(name, value, **kw):
    current().log_param(name, value, **kw)


def log_params(params, **kw):
    current().log_params(params, **kw)


def log_metric(name, value, step=None, context=None, **kw):
    current().log_metric(name, value, step=step, context=context, **kw)


def log_metrics(metrics, step=None, context=None, **kw):
    current().log_metrics(metrics, step=step, context=context, **kw)


def log_artifact(path, **kw):
    current().log_artifact(path, **kw)


def log_model(uri, **kw):
    current().log_model(uri, **kw)


def log_dataset(uri, **kw):
    current().log_dataset(uri, **kw)


def log_system_metrics(**kw):
    current().log_system_metrics(**kw)


def flush(timeout=None):
    return current().flush(timeout)


def end_run(status=None, timeout=None):
    """End the current run; returns a CloseReport (`unsent`, `path`, `stats`)."""
    return current().end_run(status=status, timeout=timeout)


close = end_run
