import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { CapturePipeline, MODES, type LogLevel, type Mode } from './capture-pipeline';
import { Run } from './capture-run';
import { executionData } from './execution-data';
import type { IngestEvent, JsonObject, Status } from './ingest-event';
import { HttpTransport } from './ingest-transport';
import type { OnFull } from './overflow-queue';
import type { CloseReport, PipelineStats } from './pipeline-stats';
import { SpoolLockedError } from './spool-file';

export interface ClientOptions {
  /** The server: `http://host:port`, `host:port` or its `/graphql` URL (default: `PROVML_SERVER` from `env`). Required unless mode is offline. */
  url?: string;
  /** online: send only; spool: append each batch to the spool before sending; offline: spool only. Default: spool when spoolDir is given, online when only url is, offline otherwise. */
  mode?: Mode;
  /** Directory of the spool, overflow and unsent files (default `./.provml-spool`). */
  spoolDir?: string;
  /** The spool file (default `<spoolDir>/spool.jsonl`; `spool-<pid>.jsonl` while another process holds that). */
  spoolFile?: string;
  /** Workflow specs (WorkflowSpecInput objects, or .json/.yaml files) registered before the first event. */
  specs?: Array<JsonObject | string>;
  /** Events per ingest mutation (default 50). */
  batchSize?: number;
  /** The longest an event waits in memory before it is sent (default 1000 ms). */
  flushIntervalMs?: number;
  /** Events held in memory before the queue spills to disk or drops (default 20,000). */
  maxQueue?: number;
  /** What a full queue does: spill to an overflow file (default) or drop and count. */
  onFull?: OnFull;
  /**
   * API token for a server with access control (default: `PROVML_TOKEN` from `env`). Sent as
   * `Authorization: Bearer` only; never logged, never written to the spool.
   */
  token?: string;
  /** Milliseconds per HTTP request (default 10 s). */
  requestTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** fsync the spool after each write (default true: an appended event survives a crash of the machine). */
  spoolFsync?: boolean;
  /** Bytes of spool kept in memory while its disk refuses writes (full); default 32 MB. */
  spoolMemory?: number;
  /** How long the exit hook may spend sending (default 10 s). */
  exitTimeoutMs?: number;
  /** Flush and re-raise on SIGTERM (default true when nothing else listens for SIGTERM). */
  handleSigterm?: boolean;
  /** Where warnings go (default: stderr, prefixed `provml:`). */
  log?: (level: LogLevel, message: string) => void;
  /** Environment for execution data (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface StartRunOptions {
  /** The run's id (default `<workflow>-<12 hex>`). */
  run?: string;
  /** Free execution data, merged over what is captured without asking (host, pid, scheduler job...). */
  attributes?: JsonObject;
  used?: JsonObject;
  version?: number;
  agent?: string;
}

/** A spec object as given, or read from a .json / .yaml file (the server validates it). */
function loadSpec(spec: JsonObject | string): JsonObject {
  if (typeof spec !== 'string') return spec;
  const text = fs.readFileSync(spec, 'utf8');
  const parsed: unknown = spec.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new TypeError(`specs: ${spec} does not hold a mapping`);
  return parsed as JsonObject;
}

/**
 * A capture client for Node jobs: runs and tasks enqueue events, a background loop sends them in
 * batches through the ingest mutation (docs/ingest.md). Created by createClient().
 */
export class CaptureClient {
  readonly mode: Mode;
  readonly pipeline: CapturePipeline;
  private readonly runs = new Set<Run>();
  private readonly execution: JsonObject;
  private readonly exitTimeoutMs: number;
  private report: Promise<CloseReport> | null = null;
  private readonly onBeforeExit = () => void this.close(this.exitTimeoutMs);
  private readonly onExit = () => {
    const file = this.pipeline.dumpSync();
    if (file) process.stderr.write(`provml: process exited before close(); unsent events kept in ${file}\n`);
  };
  private readonly onSigterm = () => {
    void this.close(Math.min(this.exitTimeoutMs, 5000), { status: 'KILLED' }).finally(() => {
      process.kill(process.pid, 'SIGTERM'); // our listener is gone by now: the default action ends the process
    });
  };
  private sigtermInstalled = false;

  constructor(opts: ClientOptions = {}) {
    const env = opts.env ?? process.env;
    const url = opts.url ?? (env.PROVML_SERVER || undefined);
    const mode = opts.mode ?? (url ? (opts.spoolDir || opts.spoolFile ? 'spool' : 'online') : 'offline');
    if (!MODES.includes(mode)) throw new TypeError(`mode: must be one of ${MODES.join(', ')}, got ${String(mode)}`);
    this.mode = mode;
    const spoolDir = path.resolve(opts.spoolDir ?? path.join(process.cwd(), '.provml-spool'));
    const specs = (opts.specs ?? []).map(loadSpec);
    const transport =
      mode === 'offline'
        ? undefined
        : new HttpTransport(requireUrl(url, mode), {
            timeoutMs: opts.requestTimeoutMs,
            token: opts.token ?? (env.PROVML_TOKEN || undefined),
          });
    const common = {
      mode,
      transport,
      spillDir: spoolDir,
      tag: 'node',
      specs,
      batchSize: opts.batchSize,
      flushIntervalMs: opts.flushIntervalMs,
      maxQueue: opts.maxQueue,
      onFull: opts.onFull,
      backoffBaseMs: opts.backoffBaseMs,
      backoffMaxMs: opts.backoffMaxMs,
      spoolFsync: opts.spoolFsync,
      spoolMemory: opts.spoolMemory,
      log: opts.log,
    };
    if (mode === 'online') this.pipeline = new CapturePipeline(common);
    else {
      const preferred = opts.spoolFile ? path.resolve(opts.spoolFile) : path.join(spoolDir, 'spool.jsonl');
      try {
        this.pipeline = new CapturePipeline({ ...common, spoolPath: preferred });
      } catch (err) {
        if (!(err instanceof SpoolLockedError) || opts.spoolFile) throw err;
        // Another job spools into this directory: take a file of our own; replay sends both.
        this.pipeline = new CapturePipeline({ ...common, spoolPath: path.join(spoolDir, `spool-${process.pid}.jsonl`) });
      }
    }
    this.execution = executionData(opts.env);
    this.exitTimeoutMs = opts.exitTimeoutMs ?? 10_000;
    process.on('beforeExit', this.onBeforeExit);
    process.on('exit', this.onExit);
    if (opts.handleSigterm ?? process.listenerCount('SIGTERM') === 0) {
      process.on('SIGTERM', this.onSigterm);
      this.sigtermInstalled = true;
    }
  }

  /** Where the spool is (modes spool and offline). */
  get spoolPath(): string | null {
    return this.pipeline.spool?.path ?? null;
  }

  get stats(): PipelineStats {
    return this.pipeline.snapshot();
  }

  /** Begins a workflow execution: one workflowBegin event carrying the execution data. */
  startRun(workflow: string, opts: StartRunOptions = {}): Run {
    if (typeof workflow !== 'string' || !workflow) throw new TypeError('workflow: a non-empty string is required');
    // A run id given by the caller may be reused by a restarted job: a per-process token keeps event ids apart.
    const id = opts.run ?? `${workflow}-${randomBytes(6).toString('hex')}`;
    const prefix = opts.run === undefined ? `${id}:` : `${id}:${randomBytes(3).toString('hex')}.`;
    const run = new Run(this.pipeline, id, workflow, prefix, String(this.execution.host));
    run.beginRun({
      attributes: { ...this.execution, ...opts.attributes },
      used: opts.used,
      version: opts.version,
      agent: opts.agent,
    });
    this.runs.add(run);
    return run;
  }

  /** Enqueues a raw event exactly as given (it must carry its own `id`). */
  emit(event: IngestEvent): void {
    this.pipeline.put(event);
  }

  /** Waits until everything queued so far is sent; true if so (tests, notebooks). */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.pipeline.flush(timeoutMs);
  }

  /**
   * Ends the runs still open (their open tasks KILLED), sends what is left for at most
   * `timeoutMs`, writes the rest to the spool (or an unsent-*.jsonl file) and says how many
   * events that is.
   */
  close(timeoutMs = 10_000, opts: { status?: Status } = {}): Promise<CloseReport> {
    if (!this.report) {
      for (const run of this.runs) if (!run.ended) run.end({ status: opts.status });
      process.off('beforeExit', this.onBeforeExit);
      if (this.sigtermInstalled) process.off('SIGTERM', this.onSigterm);
      this.report = this.pipeline.close(timeoutMs).finally(() => process.off('exit', this.onExit));
    }
    return this.report;
  }
}

function requireUrl(url: string | undefined, mode: Mode): string {
  if (!url) throw new TypeError(`url: required in mode '${mode}'`);
  return url;
}

/** Creates a capture client (see ClientOptions); call `close()` at the end of the job. */
export function createClient(opts: ClientOptions = {}): CaptureClient {
  return new CaptureClient(opts);
}

export { ref } from './ingest-event';
export type { Run, Task } from './capture-run';
export type { CloseReport, PipelineStats } from './pipeline-stats';
export type { Mode } from './capture-pipeline';
