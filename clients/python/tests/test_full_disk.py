"""The spool on a full disk (a real 64 KiB tmpfs): the job goes on, nothing accepted into the client
is lost without being counted and said. Needs root to mount; skipped (visibly) otherwise."""
import errno
import os
import shutil
import subprocess
import tempfile
import unittest

import provml
from provml.spool import SpoolWriter, read_spool

SPEC = {"name": "fulldisk", "transformations": [{"name": "training"}]}


def _mount_small_tmpfs(directory):
    if os.geteuid() != 0:
        return "not root (mount needs it)"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", directory],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else "mount failed: %s" % done.stderr.strip()


def _fill(directory):
    """Fill the file system of `directory`; returns the filler's path."""
    path = os.path.join(directory, "filler")
    with open(path, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"x" * 4096)
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
    # A last few bytes: the small writes a block's slack would still take.
    with open(path, "ab", buffering=0) as handle:
        try:
            while True:
                handle.write(b"x")
        except OSError:
            pass
    return path


class FullDiskTest(unittest.TestCase):
    def setUp(self):
        self.base = tempfile.mkdtemp(prefix="provml-full-disk-")
        self.disk = os.path.join(self.base, "disk")
        os.mkdir(self.disk)
        why = _mount_small_tmpfs(self.disk)
        if why:
            shutil.rmtree(self.base)
            self.skipTest("full-disk tests skipped: %s" % why)
        self.spill = os.path.join(self.base, "spill")  # on the big disk: where a rescue can go
        self.spool = os.path.join(self.disk, "run.jsonl")

    def tearDown(self):
        subprocess.run(["umount", self.disk], check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, n, **kw):
        client = provml.Client(spec=SPEC, mode="offline", spool=self.spool, run="full-disk-run",
                               spill_dir=kw.pop("spill_dir", self.spill), gpu=False,
                               handle_sigterm=False, spool_fsync=False, **kw)
        for step in range(n):
            client.log_metric("loss", 1.0 / (step + 1), step=step)
        return client

    def test_the_disk_frees_up_before_close_and_the_spool_is_whole(self):
        filler = _fill(self.disk)
        with self.assertLogs("provml", level="WARNING") as logs:
            client = self._run(200)  # ~30 KB: fits the 64 KiB disk once freed
            client.pipeline.flush(5)
            self.assertGreater(client.pipeline.spool.buffered, 0)  # held in memory, not lost
            os.unlink(filler)
            report = client.close()
        warnings = [r for r in logs.output if "cannot write the spool" in r]
        self.assertEqual(len(warnings), 1, logs.output)  # warned once, not once per write
        self.assertIn("No space left on device", warnings[0])
        contents = read_spool(self.spool)
        self.assertEqual(report.stats.dropped, 0)
        self.assertEqual(len(contents.pending), report.unsent)
        self.assertEqual(len(contents.pending), report.stats.spooled)
        self.assertEqual(sorted(e["step"] for e in contents.pending if e["type"] == "metric"),
                         list(range(200)))
        self.assertEqual(contents.specs, [SPEC])
        self.assertIsNone(report.rescued)
        self.assertIsNone(report.stats.last_error)  # the sender thread never crashed

    def test_the_disk_stays_full_and_close_writes_a_rescue_file_elsewhere(self):
        _fill(self.disk)
        with self.assertLogs("provml", level="WARNING") as logs:
            report = self._run(400).close()
        self.assertIsNotNone(report.rescued)
        self.assertTrue(report.rescued.startswith(self.spill), report.rescued)
        self.assertTrue(any(report.rescued in line for line in logs.output), logs.output)
        events = {}
        for path in (self.spool, report.rescued):
            for event in read_spool(path).pending:
                events[event["id"]] = event
        self.assertEqual(report.stats.dropped, 0)
        self.assertEqual(len(events), report.stats.spooled)
        self.assertEqual(sorted(e["step"] for e in events.values() if e["type"] == "metric"),
                         list(range(400)))
        self.assertEqual(read_spool(report.rescued).specs, [SPEC])

    def test_beyond_the_memory_bound_and_with_no_rescue_the_loss_is_counted_and_said(self):
        _fill(self.disk)
        saved = tempfile.tempdir
        tempfile.tempdir = self.disk  # no rescue anywhere: the rescue directories are full too
        try:
            with self.assertLogs("provml", level="WARNING") as logs:
                report = self._run(300, spill_dir=self.disk, spool_memory=4096).close()
        finally:
            tempfile.tempdir = saved
        kept = len(read_spool(self.spool).pending)
        self.assertEqual(kept, 0)
        # Every event the client took is either in a file or counted as dropped: here, dropped.
        self.assertEqual(report.stats.dropped, report.stats.spooled)
        self.assertGreater(report.stats.dropped, 300)
        self.assertEqual(report.unsent, 0)
        self.assertTrue(any("not kept in the spool" in line for line in logs.output), logs.output)
        self.assertTrue(any("event(s) lost" in line for line in logs.output), logs.output)
        self.assertEqual([f for f in os.listdir(self.disk) if f.startswith("rescued-")], [])

    def test_a_full_queue_whose_overflow_file_cannot_be_written_drops_and_counts(self):
        _fill(self.disk)
        saved = tempfile.tempdir
        tempfile.tempdir = self.base  # the rescue of the spool's memory goes here
        try:
            with self.assertLogs("provml", level="WARNING") as logs:
                client = self._run(3000, spill_dir=self.disk, max_queue=5)
                report = client.close()
        finally:
            tempfile.tempdir = saved
        self.assertTrue(any("overflow file cannot be written" in line for line in logs.output),
                        logs.output)
        found = set()
        for path in (self.spool, report.rescued):
            if path:
                found.update(e["id"] for e in read_spool(path).pending)
        # Every event the client took (3000 metrics, the run's begin and end) is in a file or
        # counted as dropped.
        self.assertGreater(report.stats.dropped, 0)
        self.assertEqual(len(found) + report.stats.dropped, 3002)

    def test_a_writer_keeps_byte_order_across_a_full_disk(self):
        filler = _fill(self.disk)
        writer = SpoolWriter(self.spool, fsync=True)
        with self.assertLogs("provml", level="WARNING"):
            writer.append_events([{"id": "e%d" % i, "type": "metric", "value": i} for i in range(50)])
        writer.ack(["e0", "e1"])
        os.unlink(filler)
        writer.append_events([{"id": "e50", "type": "metric", "value": 50}])
        self.assertEqual(writer.close(), [])
        contents = read_spool(self.spool)
        self.assertEqual([e["id"] for e in contents.pending], ["e%d" % i for i in range(2, 51)])
        self.assertEqual(contents.acked, 2)
        self.assertEqual(contents.torn_at, [])


if __name__ == "__main__":
    unittest.main()
