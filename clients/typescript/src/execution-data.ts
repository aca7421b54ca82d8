import os from 'node:os';
import type { JsonObject } from './ingest-event';

/**
 * Execution data captured without asking, read once at start-up (never in a capture call):
 * host, pid, user, Node version, the batch scheduler's job id and nodes, CUDA_VISIBLE_DEVICES.
 * The same keys as the Python client's execution.py where they mean the same thing.
 */
export function executionData(env: NodeJS.ProcessEnv = process.env): JsonObject {
  const data: JsonObject = {
    host: os.hostname(),
    pid: process.pid,
    node: process.versions.node,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    argv: process.argv.slice(1),
    cwd: process.cwd(),
  };
  try {
    data.user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): leave it out
  }
  const scheduler = schedulerInfo(env);
  if (scheduler) Object.assign(data, scheduler);
  if (env.CUDA_VISIBLE_DEVICES !== undefined) data.cudaVisibleDevices = env.CUDA_VISIBLE_DEVICES;
  return data;
}

function schedulerInfo(env: NodeJS.ProcessEnv): JsonObject | null {
  const slurm = env.SLURM_JOB_ID ?? env.SLURM_JOBID;
  if (slurm) {
    const info: JsonObject = { scheduler: 'slurm', jobId: slurm };
    const nodes = env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
    if (nodes) info.nodes = expandNodeList(nodes);
    if (env.SLURM_CLUSTER_NAME) info.cluster = env.SLURM_CLUSTER_NAME;
    if (env.SLURM_PROCID) info.rank = env.SLURM_PROCID;
    return info;
  }
  if (env.PBS_JOBID) return { scheduler: 'pbs', jobId: env.PBS_JOBID };
  if (env.LSB_JOBID)
    return {
      scheduler: 'lsf',
      jobId: env.LSB_JOBID,
      ...(env.LSB_HOSTS ? { nodes: [...new Set(env.LSB_HOSTS.split(/\s+/).filter(Boolean))] } : {}),
    };
  return null;
}

/** Expands a Slurm host list: 'gpu[01-03,07],cpu5' -> gpu01, gpu02, gpu03, gpu07, cpu5. */
export function expandNodeList(text: string): string[] {
  const parts = text.match(/[^,[]+(?:\[[^\]]*\][^,[]*)*/g) ?? [];
  return parts.flatMap((p) => expandOne(p.trim())).filter(Boolean);
}

function expandOne(pattern: string): string[] {
  const m = /\[([^\]]*)\]/.exec(pattern);
  if (!m) return [pattern];
  const head = pattern.slice(0, m.index);
  const tail = pattern.slice(m.index + m[0].length);
  return m[1].split(',').flatMap((item) => {
    const range = /^(\d+)-(\d+)$/.exec(item);
    if (!range) return expandOne(head + item + tail);
    const out: string[] = [];
    for (let n = Number(range[1]); n <= Number(range[2]) && out.length < 100_000; n++) {
      out.push(...expandOne(head + String(n).padStart(range[1].length, '0') + tail));
    }
    return out;
  });
}
