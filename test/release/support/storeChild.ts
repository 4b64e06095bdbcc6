/**
 * A release command in its own process, for test/release/store.test.ts (run with `node --import tsx`):
 * - `race <file> <weight>`: loads, prints "loaded <revision>", waits for a line on stdin, then
 *   plans `canary <weight>` and saves; prints "saved" (exit 0) or "conflict <message>" (exit 4).
 * - `loop <file>`: loads, plans a canary weight change and saves, forever; prints "saved <revision>"
 *   after each save (the parent kills it with SIGKILL at an arbitrary moment).
 */
import { createInterface } from "node:readline";
import { StateConflictError } from "../../../release/errors";
import { plan } from "../../../release/plan";
import { FileStateStore } from "../../../release/store";

const [mode, file, weightText] = process.argv.slice(2);
const store = new FileStateStore({ path: file as string, environment: "local" });
const context = () => ({ now: new Date(), actor: `child-${process.pid}@test` });

if (mode === "race") {
  const loaded = await store.load();
  process.stdout.write(`loaded ${loaded.revision}\n`);
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((go) => lines.once("line", () => go()));
  lines.close();
  const planned = plan(loaded.state, { kind: "canary", weight: Number(weightText) }, context());
  try {
    await store.save(planned.next, loaded.revision);
    process.stdout.write("saved\n");
  } catch (error) {
    if (!(error instanceof StateConflictError)) throw error;
    process.stdout.write(`conflict ${error.message}\n`);
    process.exitCode = 4;
  }
} else if (mode === "loop") {
  for (;;) {
    const loaded = await store.load();
    const weight = loaded.state.canaryWeight === 10 ? 20 : 10;
    const planned = plan(loaded.state, { kind: "canary", weight }, context());
    await store.save(planned.next, loaded.revision);
    process.stdout.write(`saved ${planned.next.revision}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
