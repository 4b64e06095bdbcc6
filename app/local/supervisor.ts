/**
 * A very small process supervisor: services start in order and stop in reverse order, once.
 * If a service fails to start, the ones already running are stopped before the error surfaces,
 * so a failed `npm start` leaves no port bound and no store locked.
 */
export interface RunningService<T> {
  readonly value: T;
  stop(): Promise<void>;
}

export class Supervisor {
  private readonly running: { name: string; stop: () => Promise<void> }[] = [];
  private stopping: Promise<void> | undefined;

  /** Starts one service; on failure stops everything started so far and rethrows. */
  async start<T>(name: string, start: () => Promise<RunningService<T>>): Promise<T> {
    if (this.stopping) throw new Error(`cannot start ${name}: the runtime is stopping`);
    let service: RunningService<T>;
    try {
      service = await start();
    } catch (error) {
      await this.stopAll().catch(() => undefined);
      throw error;
    }
    this.running.push({ name, stop: () => service.stop() });
    return service.value;
  }

  /** Registers a cleanup step (e.g. removing a file) that runs in the same reverse order. */
  onStop(name: string, stop: () => Promise<void>): void {
    this.running.push({ name, stop });
  }

  /** Stops every service in reverse start order; idempotent. Reports every failure together. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      const failures: string[] = [];
      for (const service of this.running.reverse()) {
        try {
          await service.stop();
        } catch (error) {
          failures.push(`${service.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      this.running.length = 0;
      if (failures.length) throw new Error(`some services did not stop cleanly: ${failures.join("; ")}`);
    })();
    return this.stopping;
  }
}
