import os from 'node:os';
import { STATUSES, ref, type IngestEvent, type JsonObject, type JsonValue, type Status } from './ingest-event';

/** Where a run's events go: the client's pipeline (or, after close, a counter). */
export interface EventSink {
  put(event: IngestEvent): void;
}

export interface BeginOptions {
  /** The enclosing task (training → epoch → batch): a Task or a task id. */
  parent?: Task | string;
  used?: JsonObject;
  attributes?: JsonObject;
}

export interface EndOptions {
  generated?: JsonObject;
  status?: Status;
  attributes?: JsonObject;
}

export interface MetricOptions {
  step?: number;
  /** TRAINING, VALIDATION, TEST or any string. */
  context?: string;
  task?: Task | string;
}

function checkStatus(status: Status | undefined): void {
  if (status !== undefined && !STATUSES.includes(status))
    throw new TypeError(`status: one of ${STATUSES.join(', ')}, got ${String(status)}`);
}

/** One task execution of a run; `end()` sends its taskEnd with what it generated. */
export class Task {
  ended = false;
  constructor(
    private readonly run: Run,
    readonly id: string,
    readonly transformation: string,
  ) {}

  end(opts: EndOptions = {}): void {
    this.run.endTask(this, opts);
  }
}

/**
 * A workflow execution (ProvLake style: `begin`/`end` tasks with used and generated values;
 * yProv4ML style: `logMetric`, `logParams`, `logModel`). Every call builds one event and hands it
 * to the sink: nothing here waits on the network or the disk. Event ids are `<prefix><sequence>`.
 */
export class Run {
  private seq = 0;
  private taskSeq = 0;
  private readonly open = new Set<Task>();
  ended = false;

  constructor(
    private readonly sink: EventSink,
    readonly id: string,
    readonly workflow: string,
    private readonly prefix: string,
    private readonly host = os.hostname(),
  ) {}

  private nextId(): string {
    return this.prefix + String(++this.seq);
  }

  /** Enqueues a raw event (docs/ingest.md); `id` and `time` are filled in when absent. */
  emit(event: JsonObject & { type: string }): string {
    const full: IngestEvent = {
      ...event,
      id: typeof event.id === 'string' ? event.id : this.nextId(),
      time: event.time ?? Date.now(),
    };
    this.sink.put(full);
    return full.id;
  }

  /** Begins a task of `transformation` (declared in the workflow's spec). */
  begin(transformation: string, opts: BeginOptions = {}): Task {
    const task = new Task(this, `${this.id}.${transformation}.${++this.taskSeq}`, transformation);
    const event: IngestEvent = {
      id: this.nextId(),
      type: 'taskBegin',
      time: Date.now(),
      task: task.id,
      run: this.id,
      transformation,
    };
    if (opts.parent !== undefined) event.parent = typeof opts.parent === 'string' ? opts.parent : opts.parent.id;
    else event.host = this.host;
    if (opts.used) event.used = opts.used;
    if (opts.attributes) event.attributes = opts.attributes;
    this.sink.put(event);
    this.open.add(task);
    return task;
  }

  /** Ends a task (also `task.end()`). */
  endTask(task: Task, opts: EndOptions = {}): void {
    if (task.ended) throw new Error(`task ${task.id}: already ended`);
    checkStatus(opts.status);
    task.ended = true;
    const event: IngestEvent = { id: this.nextId(), type: 'taskEnd', time: Date.now(), task: task.id };
    if (opts.generated) event.generated = opts.generated;
    if (opts.status) event.status = opts.status;
    if (opts.attributes) event.attributes = opts.attributes;
    this.sink.put(event);
    this.open.delete(task);
  }

  /** Runs `fn` inside a task: ended FINISHED with what `fn` returns as generated values, FAILED on a throw. */
  async task<T extends JsonObject | void>(
    transformation: string,
    opts: BeginOptions,
    fn: (task: Task) => Promise<T> | T,
  ): Promise<T> {
    const t = this.begin(transformation, opts);
    try {
      const generated = await fn(t);
      if (!t.ended) t.end(generated ? { generated } : {});
      return generated;
    } catch (err) {
      if (!t.ended) t.end({ status: 'FAILED' });
      throw err;
    }
  }

  logMetric(name: string, value: number, opts: MetricOptions = {}): void {
    const event: IngestEvent = { id: this.nextId(), type: 'metric', time: Date.now(), run: this.id, name, value };
    if (opts.step !== undefined) event.step = opts.step;
    if (opts.context !== undefined) event.context = opts.context;
    if (opts.task !== undefined) event.task = typeof opts.task === 'string' ? opts.task : opts.task.id;
    this.sink.put(event);
  }

  logMetrics(metrics: Record<string, number>, opts: MetricOptions = {}): void {
    for (const [name, value] of Object.entries(metrics)) this.logMetric(name, value, opts);
  }

  private values(direction: 'used' | 'generated', values: JsonObject, task: Task | string | undefined): void {
    const event: IngestEvent = { id: this.nextId(), type: 'values', time: Date.now(), run: this.id, [direction]: values };
    if (task !== undefined) event.task = typeof task === 'string' ? task : task.id;
    this.sink.put(event);
  }

  /** Parameters of the run (or of a task): yProv4ML's log_param(s). */
  logParams(params: JsonObject, opts: { task?: Task | string } = {}): void {
    this.values('used', params, opts.task);
  }

  logParam(name: string, value: JsonValue, opts: { task?: Task | string } = {}): void {
    this.logParams({ [name]: value }, opts);
  }

  /** A trained model by reference (a ModelReference where the spec says so). */
  logModel(uri: string, opts: { name?: string; store?: string; task?: Task | string } = {}): void {
    this.values('generated', { [opts.name ?? 'model']: ref(uri, opts.store ?? 'fs') }, opts.task);
  }

  /** A dataset the run used, by reference; `context` (TRAINING, ...) prefixes the name. */
  logDataset(uri: string, opts: { name?: string; store?: string; context?: string; task?: Task | string } = {}): void {
    const name = opts.name ?? 'dataset';
    this.values(
      'used',
      { [opts.context ? `${opts.context.toLowerCase()}_${name}` : name]: ref(uri, opts.store ?? 'fs') },
      opts.task,
    );
  }

  /** One telemetry sample (docs/ingest.md `telemetry`): gpu list, cpu percent, rss bytes. */
  logTelemetry(sample: { gpu?: JsonObject[]; cpu?: number; rss?: number; task?: Task | string }): void {
    const event: IngestEvent = { id: this.nextId(), type: 'telemetry', time: Date.now(), run: this.id, host: this.host };
    if (sample.gpu) event.gpu = sample.gpu;
    if (sample.cpu !== undefined) event.cpu = sample.cpu;
    if (sample.rss !== undefined) event.rss = sample.rss;
    if (sample.task !== undefined) event.task = typeof sample.task === 'string' ? sample.task : sample.task.id;
    this.sink.put(event);
  }

  /** An explicit PROV relation (WAS_DERIVED_FROM, HAD_MEMBER, WAS_INFORMED_BY, WAS_ASSOCIATED_WITH). */
  relation(relation: string, subject: string, object: string, opts: { subjectStore?: string; objectStore?: string } = {}): void {
    const event: IngestEvent = { id: this.nextId(), type: 'relation', time: Date.now(), relation, subject, object };
    if (opts.subjectStore) event.subjectStore = opts.subjectStore;
    if (opts.objectStore) event.objectStore = opts.objectStore;
    this.sink.put(event);
  }

  /** Begins the run (called by startRun). */
  beginRun(opts: { attributes?: JsonObject; used?: JsonObject; version?: number; agent?: string }): void {
    const event: IngestEvent = {
      id: this.nextId(),
      type: 'workflowBegin',
      time: Date.now(),
      run: this.id,
      workflow: this.workflow,
    };
    if (opts.attributes) event.attributes = opts.attributes;
    if (opts.used) event.used = opts.used;
    if (opts.version !== undefined) event.version = opts.version;
    if (opts.agent !== undefined) event.agent = opts.agent;
    this.sink.put(event);
  }

  /** Ends the open tasks (KILLED) and the run. */
  end(opts: { status?: Status; generated?: JsonObject } = {}): void {
    if (this.ended) return;
    checkStatus(opts.status);
    for (const task of [...this.open].reverse()) this.endTask(task, { status: 'KILLED' });
    this.ended = true;
    const event: IngestEvent = {
      id: this.nextId(),
      type: 'workflowEnd',
      time: Date.now(),
      run: this.id,
      status: opts.status ?? 'FINISHED',
    };
    if (opts.generated) event.generated = opts.generated;
    this.sink.put(event);
  }
}
