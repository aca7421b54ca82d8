import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BadUserInputError, StoreTimeoutError, StoreUnavailableError } from '../../errors';
import { oneLine, type StoreLog } from '../store-call';
import type { OxigraphAnswer, OxigraphReply, OxigraphRequest, OxigraphWorkerData } from './oxigraph-protocol';

/** Oxigraph refused or failed to evaluate a query (its own message); the caller decides whose fault. */
export class OxigraphQueryError extends Error {}

export interface OxigraphRunnerOptions {
  id: string;
  timeoutMs: number;
  log?: StoreLog;
}

/** JavaScript heap of one worker: solutions are JS objects until the row cap cuts them. */
const WORKER_HEAP_MB = 512;

/** A request before the runner numbers it (Omit taken over each member of the union). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = Unnumbered<OxigraphRequest>;

interface Job {
  id: number;
  request: Request;
  resolve(answer: OxigraphAnswer): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
  startedAt: number;
}

/**
 * Runs queries on an Oxigraph store owned by a worker thread, one at a time, each under the
 * store's timeout counted from the call. A query cannot be interrupted inside WebAssembly, so
 * a late one costs its worker: the worker is terminated and a fresh one loads the same files,
 * while the calls queued behind it wait for the new one (their own deadlines still running).
 */
export class OxigraphRunner {
  private worker!: Worker;
  private state: 'loading' | 'ready' | 'failed' | 'closed' = 'loading';
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private nextId = 1;
  private readonly firstLoad: Promise<void>;

  constructor(
    private readonly files: readonly string[],
    private options: OxigraphRunnerOptions,
  ) {
    this.firstLoad = this.spawn();
    // Whoever awaits loaded() sees the error; a store nobody awaits must not crash the process.
    this.firstLoad.catch(() => undefined);
  }

  /** Resolves once the first worker has loaded the files; rejects with BadUserInputError naming a file that did not. */
  loaded(): Promise<void> {
    return this.firstLoad;
  }

  /** Names the store that now owns this runner (a probe's warm worker handed on, see OxigraphFiles). */
  configure(options: OxigraphRunnerOptions): void {
    this.options = options;
  }

  run(request: Request): Promise<OxigraphAnswer> {
    if (this.state === 'closed') return Promise.reject(new StoreUnavailableError(this.options.id, 'store closed'));
    // A worker whose reload failed is retried by the next call, not in a loop.
    if (this.state === 'failed') this.spawn().catch(() => undefined);
    return new Promise<OxigraphAnswer>((resolve, reject) => {
      const job: Job = { id: this.nextId++, request, resolve, reject, startedAt: 0 };
      job.timer = setTimeout(() => this.expire(job), this.options.timeoutMs);
      this.queue.push(job);
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const closed = new StoreUnavailableError(this.options.id, 'store closed');
    for (const job of [...(this.running ? [this.running] : []), ...this.queue.splice(0)]) {
      clearTimeout(job.timer);
      job.reject(closed);
    }
    this.running = null;
    await this.worker.terminate();
  }

  private spawn(): Promise<void> {
    const { file, execArgv } = workerEntry();
    const data: OxigraphWorkerData = { files: [...this.files] };
    // The heap bound turns a query that materialises too many solutions into a failed call, not a swapping host.
    const worker = new Worker(file, { workerData: data, execArgv, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    this.worker = worker;
    this.state = 'loading';
    const started = Date.now();
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: OxigraphReply) => {
        if (worker !== this.worker || this.state === 'closed') return; // a replaced worker's late answer
        switch (reply.type) {
          case 'loaded':
            this.state = 'ready';
            this.options.log?.('debug', 'oxigraph worker loaded', {
              store: this.options.id,
              quads: reply.quads,
              ms: Date.now() - started,
            });
            resolve();
            return this.pump();
          case 'load-failed': {
            const err = new BadUserInputError(oneLine(reply.message), 'files');
            reject(err);
            return this.fail(new StoreUnavailableError(this.options.id, oneLine(reply.message)));
          }
          case 'answer':
            return this.settle(reply.id, (job) => job.resolve(reply.answer));
          case 'failed':
            return this.settle(reply.id, (job) => job.reject(new OxigraphQueryError(reply.message)));
        }
      });
      const crashed = (why: string) => {
        // A worker that reported a failed load ends by itself; the next call respawns it.
        if (worker !== this.worker || this.state === 'closed' || this.state === 'failed') return;
        const err = new StoreUnavailableError(this.options.id, `knowledge worker ${why}`);
        this.options.log?.('error', 'oxigraph worker died', { store: this.options.id, why });
        if (this.state === 'loading') {
          reject(err);
          return this.fail(err);
        }
        // The query it was running killed it (e.g. out of WebAssembly memory): that call fails, the rest go on.
        const job = this.running;
        this.running = null;
        if (job) {
          clearTimeout(job.timer);
          job.reject(err);
        }
        this.spawn().catch(() => undefined);
      };
      worker.on('error', (err) => crashed(oneLine(String(err))));
      worker.on('exit', (code) => crashed(`exited with code ${code}`));
    }).finally(() => this.refresh());
  }

  /** Sends the next queued call once the worker is ready and idle. */
  private pump(): void {
    if (this.state === 'ready' && !this.running) {
      const job = this.queue.shift();
      if (job) {
        this.running = job;
        job.startedAt = Date.now();
        this.worker.postMessage({ ...job.request, id: job.id } as OxigraphRequest);
      }
    }
    this.refresh();
  }

  private settle(id: number, finish: (job: Job) => void): void {
    const job = this.running;
    if (!job || job.id !== id) return; // answered after its deadline: already rejected
    this.running = null;
    clearTimeout(job.timer);
    this.options.log?.('debug', 'oxigraph query', { store: this.options.id, ms: Date.now() - job.startedAt });
    finish(job);
    this.pump();
  }

  private expire(job: Job): void {
    job.reject(new StoreTimeoutError(this.options.id, this.options.timeoutMs));
    if (this.running !== job) {
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
      return this.refresh();
    }
    // The worker is stuck in this query: replace it, reloading the files.
    this.running = null;
    this.options.log?.('warn', 'oxigraph query timed out; restarting its worker', {
      store: this.options.id,
      timeoutMs: this.options.timeoutMs,
    });
    const stuck = this.worker;
    this.spawn().catch(() => undefined);
    void stuck.terminate();
  }

  /** A reload that failed: every waiting call gets the error; the next call tries again. */
  private fail(err: Error): void {
    this.state = 'failed';
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.timer);
      job.reject(err);
    }
    this.refresh();
  }

  /** An idle worker must not keep the process alive; a loading or busy one must. */
  private refresh(): void {
    if (this.state === 'closed') return;
    if (this.state === 'loading' || this.running || this.queue.length > 0) this.worker.ref();
    else this.worker.unref();
  }
}

/**
 * Where the worker's code is. From dist it is the compiled .js beside this file; from the
 * TypeScript sources (ts-jest, tsx) it is the .ts file, and a worker thread gets no transpiler
 * of its own, so it loads tsx's require hook (a devDependency, present wherever sources run).
 */
function workerEntry(): { file: string; execArgv?: string[] } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `oxigraph-worker${ext}`);
  return ext === '.ts' ? { file, execArgv: ['--require', require.resolve('tsx/cjs')] } : { file };
}
