"""Send spooled events later: `python -m provml replay SPOOL... --server URL`.

A replay opens each spool as the sender would on a restart: it registers the specs the spool
holds, resends every event not yet acknowledged, and appends the acknowledgements to the same
file, so a replay that is interrupted can simply be run again.
"""
import glob
import os

from .sender import SPOOL, Pipeline
from .spool import read_spool
from .transport import HttpTransport


def spool_files(paths):
    files = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(sorted(glob.glob(os.path.join(path, "*.jsonl"))))
        else:
            files.append(path)
    return files


def replay(path, server, timeout=60.0, batch_size=500, http_timeout=30.0, token=None):
    """Resend the unacknowledged events of one spool; returns (sent, still_pending, stats)."""
    before = read_spool(path)
    pipeline = Pipeline(SPOOL, transport=HttpTransport(server, timeout=http_timeout, token=token),
                        spool_path=path, batch_size=batch_size, flush_interval=0.05)
    pipeline.flush(timeout)
    report = pipeline.close(timeout=0)
    after = read_spool(path)
    return len(before.pending) - len(after.pending), len(after.pending), report.stats
