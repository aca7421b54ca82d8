import type { Logger } from '../logger';

/**
 * When a step of the drain runs. `connections`: once requests in flight have finished and no
 * new ones are accepted: close long-lived connections (GraphQL subscriptions, with a close
 * code). `workers`: background workers stop. `stores`: the stores close, the local PostgreSQL
 * stops, last of all.
 */
export type ShutdownPhase = 'connections' | 'workers' | 'stores';
const PHASES: readonly ShutdownPhase[] = ['connections', 'workers', 'stores'];

/**
 * The ordered list of what a graceful stop does after the HTTP server stops accepting. Parts of
 * the server register their step where they start (the subscription server registers closing
 * its sockets), so nothing needs to know everything that must stop. Within a phase, steps run
 * in the reverse order of registration (last started, first stopped); a failing step is logged
 * and the rest still run: the local PostgreSQL must stop even when a store failed to close.
 */
export class ShutdownSteps {
  private readonly steps: Array<{ name: string; phase: ShutdownPhase; run: () => Promise<void> }> = [];
  private ran = false;

  constructor(private readonly log: Logger) {}

  add(name: string, phase: ShutdownPhase, run: () => Promise<void>): void {
    if (this.ran) throw new Error(`shutdown step ${name} registered after the shutdown began`);
    this.steps.push({ name, phase, run });
  }

  /** Runs the steps of each phase in order; of `phases` only, when given (the rest later). */
  async run(phases: readonly ShutdownPhase[] = PHASES): Promise<void> {
    this.ran = true;
    for (const phase of PHASES.filter((p) => phases.includes(p))) {
      const steps = this.steps.filter((s) => s.phase === phase).reverse();
      for (const step of steps) {
        this.steps.splice(this.steps.indexOf(step), 1);
        try {
          await step.run();
          this.log.debug('shutdown step done', { step: step.name, phase });
        } catch (err) {
          this.log.error('shutdown step failed', {
            step: step.name,
            phase,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
    }
  }
}
