import { rm } from "node:fs/promises";
import { z } from "zod";
import { TABLE_KEYS } from "../manager/store/catalogue";
import { readJsonFile, writeJsonFile, type LocalPaths } from "./paths";

/**
 * `.healthmate/runtime.json`: where the running local services are. Written once everything is
 * up, removed on a clean stop. Scripts (`npm run token`, tests, curl examples) read it instead of
 * guessing ports.
 */
export const runtimeInfoSchema = z.object({
  version: z.literal(1),
  pid: z.number().int().positive(),
  startedAt: z.iso.datetime(),
  home: z.string(),
  issuer: z.url(),
  jwksUrl: z.url(),
  discoveryUrl: z.url(),
  mcpUrl: z.url(),
  resourceMetadataUrl: z.url(),
  dynamodbEndpoint: z.url(),
  clientIds: z.object({ ui: z.string(), cli: z.string() }),
  tables: z.object(Object.fromEntries(TABLE_KEYS.map((key) => [key, z.string()]))),
  /** The local edge: the release router in front of the colours (UI at `/`, MCP at `/mcp`). */
  edgeUrl: z.url(),
  /** One function host per staged version a blue or green slot references. */
  colourHosts: z.array(
    z.object({
      service: z.string(),
      version: z.string(),
      colours: z.array(z.enum(["blue", "green"])),
      url: z.url(),
      pid: z.number().int().positive(),
    }),
  ),
});
export type RuntimeInfo = z.infer<typeof runtimeInfoSchema>;

/** Thrown when runtime.json is absent: the local runtime is not running. */
export class RuntimeNotRunningError extends Error {
  constructor(readonly file: string) {
    super(`no local runtime found (${file} is missing); start the local runtime first: npm start`);
    this.name = "RuntimeNotRunningError";
  }
}

export async function readRuntimeInfo(paths: LocalPaths): Promise<RuntimeInfo> {
  const stored = await readJsonFile(paths.runtimeFile);
  if (stored === undefined) throw new RuntimeNotRunningError(paths.runtimeFile);
  const parsed = runtimeInfoSchema.safeParse(stored);
  if (!parsed.success) throw new Error(`${paths.runtimeFile} is not a runtime file of this version; restart the local runtime (npm start)`);
  return parsed.data;
}

export async function writeRuntimeInfo(paths: LocalPaths, info: RuntimeInfo): Promise<void> {
  await writeJsonFile(paths.runtimeFile, runtimeInfoSchema.parse(info));
}

/** Removes runtime.json if it still describes process `pid` (never another runtime's file). */
export async function removeRuntimeInfo(paths: LocalPaths, pid: number): Promise<void> {
  const stored = runtimeInfoSchema.safeParse(await readJsonFile(paths.runtimeFile).catch(() => undefined));
  if (stored.success && stored.data.pid !== pid) return;
  await rm(paths.runtimeFile, { force: true });
}

