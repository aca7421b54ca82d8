"""Execution data captured without asking: where and as what the job runs.

Read once at start-up (environment variables and a few small files), never in a capture call.
"""
import getpass
import os
import platform
import re
import socket
import sys


def expand_nodelist(text):
    """Expand a Slurm host list: 'gpu[01-03,07],cpu5' -> ['gpu01', 'gpu02', 'gpu03', 'gpu07', 'cpu5']."""
    nodes = []
    for part in re.findall(r"[^,\[]+(?:\[[^\]]*\][^,\[]*)*", text or ""):
        nodes.extend(_expand_one(part.strip()))
    return [n for n in nodes if n]


def _expand_one(pattern):
    match = re.search(r"\[([^\]]*)\]", pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[:match.start()], pattern[match.end():]
    out = []
    for item in match.group(1).split(","):
        if "-" in item:
            low, high = item.split("-", 1)
            if low.isdigit() and high.isdigit():
                width = len(low)
                for number in range(int(low), int(high) + 1):
                    out.extend(_expand_one("%s%0*d%s" % (head, width, number, tail)))
                continue
        out.extend(_expand_one(head + item + tail))
    return out


def _read_unique_lines(path):
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            seen = []
            for line in handle:
                name = line.strip()
                if name and name not in seen:
                    seen.append(name)
            return seen
    except OSError:
        return []


def scheduler_info(env=None):
    """The batch scheduler's job id, node list and cluster: Slurm, PBS/Torque or LSF; {} if none."""
    env = os.environ if env is None else env
    if env.get("SLURM_JOB_ID") or env.get("SLURM_JOBID"):
        info = {"scheduler": "slurm", "jobId": env.get("SLURM_JOB_ID") or env.get("SLURM_JOBID")}
        nodelist = env.get("SLURM_JOB_NODELIST") or env.get("SLURM_NODELIST")
        if nodelist:
            info["nodes"] = expand_nodelist(nodelist)
        for key, name in (("SLURM_CLUSTER_NAME", "cluster"), ("SLURM_JOB_PARTITION", "partition"),
                          ("SLURM_ARRAY_TASK_ID", "arrayTaskId"), ("SLURM_PROCID", "rank"),
                          ("SLURM_JOB_NAME", "jobName")):
            if env.get(key):
                info[name] = env[key]
        return info
    if env.get("PBS_JOBID"):
        info = {"scheduler": "pbs", "jobId": env["PBS_JOBID"]}
        if env.get("PBS_NODEFILE"):
            info["nodes"] = _read_unique_lines(env["PBS_NODEFILE"])
        if env.get("PBS_QUEUE"):
            info["partition"] = env["PBS_QUEUE"]
        if env.get("PBS_JOBNAME"):
            info["jobName"] = env["PBS_JOBNAME"]
        return info
    if env.get("LSB_JOBID"):
        info = {"scheduler": "lsf", "jobId": env["LSB_JOBID"]}
        hosts = env.get("LSB_HOSTS")
        if hosts:
            info["nodes"] = list(dict.fromkeys(hosts.split()))
        elif env.get("LSB_MCPU_HOSTS"):
            info["nodes"] = env["LSB_MCPU_HOSTS"].split()[0::2]
        if env.get("LSB_QUEUE"):
            info["partition"] = env["LSB_QUEUE"]
        if env.get("LSB_JOBNAME"):
            info["jobName"] = env["LSB_JOBNAME"]
        return info
    return {}


def _user():
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def execution_data(env=None):
    """The attributes of a workflowBegin event: host, pid, user, Python, scheduler, GPUs."""
    env = os.environ if env is None else env
    data = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "user": _user(),
        "python": platform.python_version(),
        "pythonImplementation": platform.python_implementation(),
        "platform": platform.platform(),
        "argv": list(sys.argv),
        "cwd": os.getcwd(),
    }
    data.update(scheduler_info(env))
    if "CUDA_VISIBLE_DEVICES" in env:
        data["cudaVisibleDevices"] = env["CUDA_VISIBLE_DEVICES"]
    return data
