const STEP_TIMEOUT_MS = 30_000;

/**
 * What the run acquired, released in reverse order exactly once — whether the run finished, failed or timed
 * out — each step bounded in time so a stuck shutdown cannot keep the bench alive.
 */
export class CleanupStack {
  private readonly steps: Array<{ name: string; run: () => Promise<unknown> }> = [];

  /** Registers a step; the returned function runs it now (for phases that end before the run does). */
  push(name: string, run: () => Promise<unknown>): () => Promise<boolean> {
    const step = { name, run };
    this.steps.push(step);
    return () => this.runStep(step);
  }

  /** Runs every remaining step, newest first; false when any failed or timed out. */
  async runAll(): Promise<boolean> {
    let ok = true;
    for (const step of [...this.steps].reverse()) ok = (await this.runStep(step)) && ok;
    return ok;
  }

  private async runStep(step: { name: string; run: () => Promise<unknown> }): Promise<boolean> {
    const index = this.steps.indexOf(step);
    if (index === -1) return true;
    this.steps.splice(index, 1);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        step.run(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch (err) {
      process.stderr.write(`bench: cleanup step "${step.name}" failed: ${(err as Error).message}\n`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
