import { mkdirSync, readFileSync, statSync, watch, type FSWatcher, type Stats } from "node:fs";
import { basename, dirname } from "node:path";
import { COLOURS, KvsKey } from "../../../modules/release/router/contract";
import { releaseStateSchema, type ReleaseState } from "../../../release/state";
import type { KeyValueStoreHandle } from "./routerHost";

/**
 * The local edge's CloudFront KeyValueStore: the keys the `ui` stack renders from the release
 * state, computed here from the `local` state file. Every request first checks the file (one
 * `stat`, and a re-read only when it changed), so a request that starts after a release command
 * has replaced the file sees the new state; `fs.watch` plus a poll (for file systems whose
 * watch events are unreliable) tell the runtime to start or stop colour hosts within a second.
 */

/** The KeyValueStore keys of a release state (absent UI slots have no key: the router falls back). */
export function kvsEntriesFromState(state: ReleaseState): Record<string, string> {
  const entries: Record<string, string> = {
    [KvsKey.CanaryWeight]: String(state.canaryWeight),
    [KvsKey.StableColour]: state.stableColour,
  };
  const ui = state.services.ui;
  for (const colour of COLOURS) {
    const version = ui?.[colour];
    if (version) entries[colour === "blue" ? KvsKey.UiVersionBlue : KvsKey.UiVersionGreen] = version;
  }
  return entries;
}

/** What `get` rejects with for a missing key, like the CloudFront runtime. */
export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`key '${key}' does not exist in the key value store`);
    this.name = "KeyNotFoundError";
  }
}

export interface StateKvsOptions {
  /** Poll interval of the change check behind fs.watch. @default 200 */
  readonly pollMs?: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

type Listener = (state: ReleaseState | undefined) => void;

export class ReleaseStateKvs implements KeyValueStoreHandle {
  private state: ReleaseState | undefined;
  private entries: Record<string, string> = {};
  private signature = "";
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly listeners: Listener[] = [];
  private warned = "";

  constructor(
    readonly stateFile: string,
    private readonly options: StateKvsOptions = {},
  ) {
    this.refresh();
  }

  /** The state the keys were computed from; undefined when there is no (valid) state file. */
  current(): ReleaseState | undefined {
    return this.state;
  }

  /** Re-reads the state file if it changed since the last look; returns true on a change. */
  refresh(): boolean {
    let stats: Stats | undefined;
    try {
      stats = statSync(this.stateFile);
    } catch {
      stats = undefined;
    }
    // Release commands replace the file by rename, so the inode changes with every write.
    const signature = stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : "absent";
    if (signature === this.signature) return false;
    this.signature = signature;
    if (!stats) return this.apply(undefined);
    let parsed: ReleaseState;
    try {
      parsed = releaseStateSchema.parse(JSON.parse(readFileSync(this.stateFile, "utf8")));
    } catch (error) {
      // Keep serving the last good state: a hand-edited or foreign file must not take the edge down.
      const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
      if (this.warned !== signature) this.options.log?.("ignoring an invalid release state file; the edge keeps the last valid state", { file: this.stateFile, error: message });
      this.warned = signature;
      return false;
    }
    return this.apply(parsed);
  }

  private apply(state: ReleaseState | undefined): boolean {
    const previous = this.state;
    this.state = state;
    this.entries = state ? kvsEntriesFromState(state) : {};
    if (previous?.revision === state?.revision && JSON.stringify(previous) === JSON.stringify(state)) return false;
    for (const listener of this.listeners) listener(state);
    return true;
  }

  async get(key: string): Promise<unknown> {
    if (!Object.hasOwn(this.entries, key)) throw new KeyNotFoundError(key);
    return this.entries[key];
  }

  async exists(key: string): Promise<boolean> {
    return Object.hasOwn(this.entries, key);
  }

  /** Calls `listener` on every change of the state (also the ones a request noticed first). */
  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Starts watching the file (its folder, since writes replace it) and polling. */
  watch(): void {
    if (this.poll) return;
    const folder = dirname(this.stateFile);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    try {
      const name = basename(this.stateFile);
      this.watcher = watch(folder, { persistent: false }, (_event, file) => {
        if (!file || file === name) this.refresh();
      });
      this.watcher.on("error", () => this.closeWatcher());
    } catch {
      this.watcher = undefined; // the poll still notices changes
    }
    this.poll = setInterval(() => this.refresh(), this.options.pollMs ?? 200);
    this.poll.unref();
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  close(): void {
    this.closeWatcher();
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }
}
