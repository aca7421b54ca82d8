"""Pure pieces: answer classification, JSON encoding, execution data, spec reading, events."""
import json
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
import unittest

import provml
from provml import transport as tp
from provml.execution import execution_data, expand_nodelist, scheduler_info
from provml.spec import SpecError, load_spec, parse_yaml
from provml.spool import SpoolLocked, SpoolWriter, read_spool
from provml.telemetry import GpuProbe, ProcessProbe, parse_nvidia_smi

SPEC_YAML = """\
name: training   # the workflow
kind: LEARNING
study: { id: seismic-stratigraphy, name: Seismic stratigraphy }
attributes:
  - { name: seed, role: PARAMETER }
transformations:
  - name: training
    kind: LEARNING_STAGE
    stageType: TRAINING
    used:
      - { name: batch_size, role: LEARNING_HYPERPARAMETER }
      - { name: train_set, role: LEARNING_DATASET_REFERENCE }
    generated:
      - { name: model, role: MODEL_REFERENCE }
  - name: epoch
    kind: LEARNING_STAGE
    parent: training
"""


class ClassifyTest(unittest.TestCase):
    def test_429_and_5xx_are_retried_with_retry_after(self):
        out = tp.classify(429, b"slow down", "ingest", retry_after=2.0)
        self.assertEqual((out.kind, out.retry_after), (tp.RETRY, 2.0))
        self.assertEqual(tp.classify(503, b"", "ingest").kind, tp.RETRY)

    def test_413_is_too_large_and_other_4xx_fatal(self):
        self.assertEqual(tp.classify(413, b"{}", "ingest").kind, tp.TOO_LARGE)
        out = tp.classify(400, b'{"errors":[{"message":"bad query"}]}', "ingest")
        self.assertEqual((out.kind, out.status), (tp.FATAL, 400))
        self.assertIn("bad query", out.reason)

    def test_malformed_answers_are_fatal_not_acks(self):
        for raw in (b"<html>", b"[1,2]", b'{"data":{"ingest":null}}',
                    b'{"data":{"ingest":{"accepted":"3","duplicates":0,"rejected":0}}}'):
            self.assertEqual(tp.classify(200, raw, "ingest").kind, tp.FATAL, raw)

    def test_transient_graphql_errors_are_retried(self):
        raw = b'{"errors":[{"message":"db down","extensions":{"code":"STORE_UNAVAILABLE"}}]}'
        self.assertEqual(tp.classify(200, raw, "ingest").kind, tp.RETRY)
        raw = b'{"errors":[{"message":"too many","extensions":{"code":"LIMIT_EXCEEDED"}}]}'
        self.assertEqual(tp.classify(200, raw, "ingest").kind, tp.TOO_LARGE)

    def test_ack_carries_the_payload(self):
        raw = json.dumps({"data": {"ingest": {"accepted": 2, "duplicates": 1, "rejected": 0,
                                              "duplicateIds": ["a"], "issues": []}}}).encode()
        out = tp.classify(200, raw, "ingest")
        self.assertEqual((out.kind, out.data["accepted"]), (tp.ACK, 2))

    def test_retry_after_seconds_and_http_date(self):
        self.assertEqual(tp.parse_retry_after("3"), 3.0)
        self.assertIsNone(tp.parse_retry_after(None))
        self.assertIsNone(tp.parse_retry_after("soon"))
        self.assertAlmostEqual(tp.parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0),
                               6.0)

    def test_graphql_url_forms(self):
        self.assertEqual(tp.graphql_url("127.0.0.1:4000"), "http://127.0.0.1:4000/graphql")
        self.assertEqual(tp.graphql_url("http://h:1/api/gql"), "http://h:1/api/gql")
        with self.assertRaises(ValueError):
            tp.graphql_url("ftp://h")


class CannedPeer(object):
    """A loopback socket that answers each request with the next canned bytes, then closes the
    connection if told: the HTTP framings the transport must read, byte for byte."""

    def __init__(self, answers):
        self.answers = list(answers)  # (bytes, close_after)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.answers:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                data = b""
                while self.answers:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    head, sep, rest = data.partition(b"\r\n\r\n")
                    if not sep:
                        break
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    while len(rest) < length:
                        rest += conn.recv(65536)
                    data = rest[length:]
                    answer, close = self.answers.pop(0)
                    conn.sendall(answer)
                    if close:
                        break

    def close(self):
        self.sock.close()


ACK_BODY = b'{"data":{"ingest":{"accepted":1,"duplicates":0,"rejected":0,"issues":[]}}}'


class HttpTransportTest(unittest.TestCase):
    def send(self, peer, transport=None):
        transport = transport or tp.HttpTransport(peer.url, timeout=5)
        return transport, transport.send_events([{"id": "a", "type": "metric"}])

    def test_an_unreachable_server_is_named_with_the_reason(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()  # nobody listens there now
        outcome = tp.HttpTransport("http://127.0.0.1:%d" % port, timeout=5,
                                   token="pml_secret").send_events([{"id": "a", "type": "x"}])
        self.assertEqual(outcome.kind, tp.RETRY)
        self.assertEqual(outcome.reason, "network: cannot reach http://127.0.0.1:%d/graphql: "
                                         "connection refused" % port)

    def test_reads_content_length_chunked_and_close_delimited_answers(self):
        chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (ACK_BODY[:10], ACK_BODY[10:]))
                   + b"0\r\nX-Trailer: 1\r\n\r\n")
        sized = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(ACK_BODY), ACK_BODY)
        continued = b"HTTP/1.1 100 Continue\r\n\r\n" + sized
        peer = CannedPeer([(chunked, False), (sized, False), (continued, False),
                           (b"HTTP/1.0 200 OK\r\n\r\n" + ACK_BODY, True)])
        try:
            transport = None
            for _ in range(4):
                transport, out = self.send(peer, transport)
                self.assertEqual((out.kind, out.data["accepted"]), (tp.ACK, 1))
            self.assertEqual(peer.connections, 1)  # kept alive until the close-delimited answer
            transport.close()
        finally:
            peer.close()

    def test_garbage_and_cut_answers_are_retried_not_acked(self):
        for answer in (b"SSH-2.0-OpenSSH\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 90\r\n\r\n{}",
                       b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
            peer = CannedPeer([(answer, True)])
            try:
                transport, out = self.send(peer)
                self.assertEqual(out.kind, tp.RETRY, answer)
                transport.close()
            finally:
                peer.close()

    def test_retry_after_and_status_reach_the_outcome(self):
        body = b'{"errors":[{"message":"busy"}]}'
        peer = CannedPeer([(b"HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nContent-Length: %d\r\n\r\n%s"
                            % (len(body), body), True)])
        try:
            transport, out = self.send(peer)
            self.assertEqual((out.kind, out.status, out.retry_after), (tp.RETRY, 429, 7.0))
            transport.close()
        finally:
            peer.close()

    def test_headers_with_line_breaks_are_refused(self):
        with self.assertRaises(ValueError):
            tp.HttpTransport("http://127.0.0.1:1", headers={"x-token": "a\r\nx-evil: 1"})


class DumpsTest(unittest.TestCase):
    def test_the_same_text_as_compact_json(self):
        event = {"id": "r:1", "type": "metric", "time": 1733251234567.1234, "value": -0.5,
                 "name": "lo\u00df \"q\" \\ \n", "step": 3, "nested": {"a": [1, None, True, {}]}}
        self.assertEqual(tp.dumps(event), json.dumps(event, separators=(",", ":")))
        self.assertEqual(tp.dumps("x\u00e9"), json.dumps("x\u00e9"))

    def test_nan_and_infinity_travel_as_strings(self):
        text = tp.dumps({"value": float("nan"), "x": [1.5, float("inf")]})
        self.assertEqual(json.loads(text), {"value": "nan", "x": [1.5, "inf"]})

    def test_objects_with_item_and_tolist(self):
        class Scalar(object):
            def item(self):
                return 0.25

        class Array(object):
            def item(self):
                raise ValueError("more than one element")

            def tolist(self):
                return [1, 2]

        self.assertEqual(json.loads(tp.dumps({"a": Scalar(), "b": Array()})),
                         {"a": 0.25, "b": [1, 2]})


class ExecutionTest(unittest.TestCase):
    def test_slurm_nodelist_expansion(self):
        self.assertEqual(expand_nodelist("gpu[01-03,07],cpu5"),
                         ["gpu01", "gpu02", "gpu03", "gpu07", "cpu5"])
        self.assertEqual(expand_nodelist("n[1-2]-ib"), ["n1-ib", "n2-ib"])

    def test_slurm_pbs_lsf(self):
        slurm = scheduler_info({"SLURM_JOB_ID": "4711", "SLURM_JOB_NODELIST": "gpu[01-02]",
                                "SLURM_CLUSTER_NAME": "hpc-a"})
        self.assertEqual(slurm, {"scheduler": "slurm", "jobId": "4711",
                                 "nodes": ["gpu01", "gpu02"], "cluster": "hpc-a"})
        tmp = tempfile.NamedTemporaryFile("w", delete=False)
        tmp.write("n1\nn1\nn2\n")
        tmp.close()
        try:
            pbs = scheduler_info({"PBS_JOBID": "12.pbs", "PBS_NODEFILE": tmp.name})
        finally:
            os.unlink(tmp.name)
        self.assertEqual(pbs, {"scheduler": "pbs", "jobId": "12.pbs", "nodes": ["n1", "n2"]})
        lsf = scheduler_info({"LSB_JOBID": "9", "LSB_MCPU_HOSTS": "h1 4 h2 4"})
        self.assertEqual(lsf["nodes"], ["h1", "h2"])
        self.assertEqual(scheduler_info({}), {})

    def test_execution_data(self):
        data = execution_data({"CUDA_VISIBLE_DEVICES": "0,1", "SLURM_JOB_ID": "5"})
        self.assertEqual(data["pid"], os.getpid())
        self.assertEqual(data["cudaVisibleDevices"], "0,1")
        self.assertEqual(data["jobId"], "5")
        for key in ("host", "user", "python"):
            self.assertTrue(data[key])

    def test_nvidia_smi_rows(self):
        rows = parse_nvidia_smi("0, NVIDIA H100, 87, 1024, 81559, 312.5, 61\n"
                                "1, NVIDIA H100, [N/A], 0, 81559, [Not Supported], 40\n")
        self.assertEqual(rows[0], {"index": 0, "name": "NVIDIA H100", "utilization": 87,
                                   "memoryUsed": 1024 * 2 ** 20, "memoryTotal": 81559 * 2 ** 20,
                                   "power": 312.5, "temperature": 61})
        self.assertNotIn("utilization", rows[1])
        self.assertNotIn("power", rows[1])

    def test_gpu_probe_without_nvml_or_smi_says_none(self):
        probe = GpuProbe(allow_nvml=False, smi_path="")
        if probe.source == "none":
            self.assertEqual(probe.sample(), [])
        else:  # a machine with nvidia-smi: it must give one item per GPU with an index
            self.assertTrue(all("index" in g for g in probe.sample()))

    def test_process_probe_reads_proc(self):
        probe = ProcessProbe()
        c0, t0 = time.process_time(), time.monotonic()
        self.assertGreater(probe.rss(), 1024 * 1024)
        end = time.process_time() + 0.1
        while time.process_time() < end:
            pass
        got = probe.cpu_percent()
        expected = 100.0 * (time.process_time() - c0) / (time.monotonic() - t0)
        # Compared with what this process measured over the same window, not with a fixed share:
        # on a loaded machine a 0.1 s spin can take seconds of wall time (/proc counts in 10 ms ticks).
        self.assertGreater(got, 0.0)
        self.assertAlmostEqual(got, expected, delta=0.5 * expected + 2.0)


class SpecTest(unittest.TestCase):
    def test_yaml_subset_reads_the_docs_example(self):
        spec = load_spec(dict(parse_yaml(SPEC_YAML)))
        self.assertEqual(spec["study"], {"id": "seismic-stratigraphy",
                                         "name": "Seismic stratigraphy"})
        self.assertEqual(spec["transformations"][0]["used"][1],
                         {"name": "train_set", "role": "LEARNING_DATASET_REFERENCE"})
        self.assertEqual(spec["transformations"][1], {"name": "epoch", "kind": "LEARNING_STAGE",
                                                      "parent": "training"})

    def test_own_yaml_reader_matches(self):
        import provml.spec as spec_module
        real = __import__("builtins").__import__

        def no_yaml(name, *args, **kw):
            if name == "yaml":
                raise ImportError("no yaml")
            return real(name, *args, **kw)

        import builtins
        builtins.__import__ = no_yaml
        try:
            ours = spec_module.parse_yaml(SPEC_YAML)
        finally:
            builtins.__import__ = real
        self.assertEqual(ours["attributes"], [{"name": "seed", "role": "PARAMETER"}])
        self.assertEqual(ours["transformations"][0]["generated"],
                         [{"name": "model", "role": "MODEL_REFERENCE"}])
        self.assertEqual(ours["study"]["name"], "Seismic stratigraphy")

    def test_bad_spec_names_the_field(self):
        with self.assertRaisesRegex(SpecError, r"spec\.transformations\[0\]\.used\[0\]\.colour"):
            load_spec({"name": "w", "transformations": [
                {"name": "t", "used": [{"name": "a", "colour": "red"}]}]})
        with self.assertRaisesRegex(SpecError, "spec.transformations"):
            load_spec({"name": "w"})


class EventShapeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="provml-test-")
        self.client = provml.Client(workflow="training", mode="offline", spill_dir=self.dir,
                                    handle_sigterm=False, gpu=False)

    def tearDown(self):
        self.client.close(timeout=1)
        shutil.rmtree(self.dir, ignore_errors=True)

    def events(self):
        report = self.client.close(timeout=5)
        return read_spool(report.path).pending

    def test_nested_tasks_and_values(self):
        c = self.client
        with c.task("training", used={"lr": 0.1, "train_set": provml.ref("/d/t.h5", "fs")}):
            with c.task("epoch", epoch=1) as epoch:
                with c.task("batch", batch_id=0) as batch:
                    batch.out(loss=0.5)
                c.log_metric("loss", 0.5, step=3, context="TRAINING")
                epoch.out(model=provml.ref("/m/1.pt", "fs"))
        events = self.events()
        kinds = [e["type"] for e in events]
        self.assertEqual(kinds, ["workflowBegin", "taskBegin", "taskBegin", "taskBegin",
                                 "taskEnd", "metric", "taskEnd", "taskEnd", "workflowEnd"])
        begin, training, epoch, batch = events[:4]
        self.assertEqual(begin["workflow"], "training")
        self.assertEqual(begin["attributes"]["pid"], os.getpid())
        self.assertNotIn("parent", training)
        self.assertEqual(training["used"]["train_set"], {"$ref": "/d/t.h5", "store": "fs"})
        self.assertEqual(epoch["parent"], training["task"])
        self.assertEqual(batch["parent"], epoch["task"])
        self.assertEqual(events[4], dict(events[4], task=batch["task"],
                                         generated={"loss": 0.5}))
        self.assertEqual((events[5]["task"], events[5]["step"], events[5]["context"]),
                         (epoch["task"], 3, "TRAINING"))
        ids = [e["id"] for e in events]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertTrue(all(i.startswith(c.run + ":") for i in ids))
        self.assertEqual(events[-1]["status"], "FINISHED")

    def test_agents_are_declared_with_their_kind(self):
        # agent() once passed kind= into _event(kind, ...): a TypeError, and so did Client(agent=).
        self.client.agent("ci-bot", kind="SOFTWARE", name="CI")
        d = tempfile.mkdtemp(prefix="provml-test-")
        try:
            c = provml.Client(workflow="training", mode="offline", spill_dir=d, agent="alice",
                              handle_sigterm=False, gpu=False)
            events = read_spool(c.close(timeout=5).path).pending
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual([(e["type"], e.get("agent"), e.get("kind")) for e in events[:2]],
                         [("agent", "alice", "PERSON"), ("workflowBegin", "alice", None)])
        mine = self.events()
        self.assertEqual([(e["type"], e.get("kind"), e.get("name")) for e in mine if e["type"] == "agent"],
                         [("agent", "SOFTWARE", "CI")])

    def test_failed_task_and_mlflow_calls(self):
        c = self.client
        with self.assertRaises(RuntimeError):
            with c.task("training"):
                raise RuntimeError("boom")
        c.log_params({"seed": 7})
        c.log_model("/m/final.pt")
        c.log_dataset("/d/train.h5", context="TRAINING")
        c.log_artifact("/tmp/x.png")
        c.log_system_metrics()
        events = self.events()
        self.assertEqual(events[2]["status"], "FAILED")
        self.assertEqual(events[3]["used"], {"seed": 7})
        self.assertEqual(events[4]["generated"], {"model": {"$ref": "/m/final.pt",
                                                            "store": "fs"}})
        self.assertEqual(events[5]["used"], {"training_dataset": {"$ref": "/d/train.h5",
                                                                  "store": "fs"}})
        self.assertEqual(events[6]["generated"], {"x.png": {"$ref": "/tmp/x.png",
                                                            "store": "fs"}})
        self.assertGreater(events[7]["rss"], 0)
        self.assertEqual(events[7]["type"], "telemetry")

    def test_capture_after_close_is_counted_not_lost_silently(self):
        report = self.client.close(timeout=5)
        self.client.log_metric("late", 1.0)
        self.assertEqual(report.stats.dropped, 1)

    def test_capture_call_cost(self):
        """The issue's target is 3 µs median per call; this shared CI box gets 3x slack."""
        c = self.client
        clock = time.perf_counter
        costs = []
        for step in range(5000):
            start = clock()
            c.log_metric("loss", 0.5, step=step, context="TRAINING")
            costs.append(clock() - start)
        median_us = statistics.median(costs) * 1e6
        self.assertLess(median_us, 9.0, "median capture call %.2f µs" % median_us)


class SpoolFileTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="provml-test-")
        self.path = os.path.join(self.dir, "s.jsonl")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_second_writer_is_refused(self):
        first = SpoolWriter(self.path)
        try:
            with self.assertRaises(SpoolLocked):
                SpoolWriter(self.path)
        finally:
            first.close()

    def test_torn_last_line_is_skipped_and_not_glued(self):
        with open(self.path, "w") as handle:
            handle.write('{"id":"a","type":"metric"}\n{"id":"b","type":"met')
        writer = SpoolWriter(self.path)
        writer.append_events([{"id": "c", "type": "metric"}])
        writer.ack(["a"])
        writer.close()
        contents = read_spool(self.path)
        self.assertEqual([e["id"] for e in contents.pending], ["c"])
        self.assertEqual((contents.acked, contents.torn_lines), (1, 1))


if __name__ == "__main__":
    unittest.main()
