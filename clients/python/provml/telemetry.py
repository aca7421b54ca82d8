"""Execution telemetry: GPU (NVML, else nvidia-smi, else none, said once), CPU and RSS (/proc).

Sampling reads files and may run a subprocess: it belongs in the sampler thread or in an
explicit `log_system_metrics()` call, never in a per-batch capture call.
"""
import logging
import os
import shutil
import subprocess
import threading
import time

log = logging.getLogger("provml")

_SMI_FIELDS = "index,name,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu"
_MIB = 1024 * 1024


def _number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() else value


def parse_nvidia_smi(text):
    """Rows of `nvidia-smi --query-gpu=<_SMI_FIELDS> --format=csv,noheader,nounits` as gpu items."""
    gpus = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) < 7 or not cells[0].isdigit():
            continue
        item = {"index": int(cells[0]), "name": cells[1]}
        for key, cell, scale in (("utilization", cells[2], 1), ("memoryUsed", cells[3], _MIB),
                                 ("memoryTotal", cells[4], _MIB), ("power", cells[5], 1),
                                 ("temperature", cells[6], 1)):
            value = _number(cell)  # "[N/A]" and "[Not Supported]" leave the key out
            if value is not None:
                item[key] = value * scale if scale != 1 else value
        gpus.append(item)
    return gpus


class GpuProbe(object):
    """Finds a way to read the GPUs once, then reads them on each `sample()`."""

    def __init__(self, allow_nvml=True, smi_path=None):
        self.source = "none"
        self._nvml = None
        self._handles = []
        self._smi = None
        if allow_nvml:
            try:
                import pynvml  # optional: not in the standard library
                pynvml.nvmlInit()
                count = pynvml.nvmlDeviceGetCount()
                self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
                self._nvml = pynvml
                self.source = "nvml"
                return
            except Exception:  # ImportError, or NVML present without a driver
                self._nvml = None
        self._smi = smi_path or shutil.which("nvidia-smi")
        if self._smi:
            self.source = "nvidia-smi"
        else:
            log.info("provml: no GPU telemetry (pynvml not importable, nvidia-smi not on PATH)")

    def sample(self):
        if self._nvml is not None:
            return self._sample_nvml()
        if self._smi:
            try:
                out = subprocess.run([self._smi, "--query-gpu=" + _SMI_FIELDS,
                                      "--format=csv,noheader,nounits"], capture_output=True,
                                     text=True, timeout=5)
            except (OSError, subprocess.SubprocessError) as err:
                log.warning("provml: nvidia-smi failed (%s); no more GPU telemetry", err)
                self._smi = None
                self.source = "none"
                return []
            return parse_nvidia_smi(out.stdout)
        return []

    def _sample_nvml(self):
        nv = self._nvml
        gpus = []
        for index, handle in enumerate(self._handles):
            item = {"index": index}
            for key, read in (
                ("name", lambda: nv.nvmlDeviceGetName(handle)),
                ("utilization", lambda: nv.nvmlDeviceGetUtilizationRates(handle).gpu),
                ("memoryUsed", lambda: nv.nvmlDeviceGetMemoryInfo(handle).used),
                ("memoryTotal", lambda: nv.nvmlDeviceGetMemoryInfo(handle).total),
                ("power", lambda: nv.nvmlDeviceGetPowerUsage(handle) / 1000.0),  # mW -> W
                ("temperature", lambda: nv.nvmlDeviceGetTemperature(handle, 0)),  # 0: GPU die
                ("energy", lambda: nv.nvmlDeviceGetTotalEnergyConsumption(handle) / 1000.0),  # mJ
            ):
                try:
                    value = read()
                except Exception:  # not supported on this GPU
                    continue
                item[key] = value.decode() if isinstance(value, bytes) else value
            gpus.append(item)
        return gpus


class ProcessProbe(object):
    """CPU percent of this process since the previous sample, and its resident set size."""

    def __init__(self):
        self._ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._last = self._cpu_seconds(), time.monotonic()

    def _cpu_seconds(self):
        try:
            with open("/proc/self/stat", "r") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / float(self._ticks)  # utime + stime
        except (OSError, IndexError, ValueError):
            return None

    def rss(self):
        try:
            with open("/proc/self/statm", "r") as handle:
                return int(handle.read().split()[1]) * self._page
        except (OSError, IndexError, ValueError):
            return None

    def cpu_percent(self):
        now_cpu, now = self._cpu_seconds(), time.monotonic()
        last_cpu, last = self._last
        self._last = now_cpu, now
        if now_cpu is None or last_cpu is None or now <= last:
            return None
        return round(100.0 * (now_cpu - last_cpu) / (now - last), 2)


class Sampler(threading.Thread):
    """Calls `emit()` every `interval` seconds until stopped (a daemon: never holds the job)."""

    def __init__(self, interval, emit):
        threading.Thread.__init__(self, name="provml-sampler", daemon=True)
        self.interval = float(interval)
        self._emit = emit
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.wait(self.interval):
            try:
                self._emit()
            except Exception:
                log.exception("provml: telemetry sample failed")

    def stop(self):
        self._stop_event.set()
