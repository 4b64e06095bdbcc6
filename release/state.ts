import { z } from "zod";
import { COLOURS, otherColour, type Colour } from "../modules/release/router/contract";

/**
 * The release state of one environment (ARCHITECTURE §4): which immutable version sits in the
 * blue and the green slot of each service, which colour is stable, the canary weight for the
 * other colour, a revision for optimistic concurrency and an append-only history.
 * Only the release commands write it; main.ts (AWS) and the local edge (local) render it.
 */
export const ENVIRONMENTS = ["local", "dev", "stage", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** Services that have versions. coach joins when it exists. */
export const RELEASED_SERVICES = ["manager", "coach", "ui"] as const;
export type ReleasedService = (typeof RELEASED_SERVICES)[number];

/** A version id: a published Lambda version number ("7") or a UI build id ("20261204.1"). */
export const versionSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a version is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");

const colourSchema = z.enum(COLOURS as [Colour, Colour]);

export const slotsSchema = z
  .object({
    blue: versionSchema.nullable().describe("Version in the blue slot, or null when empty."),
    green: versionSchema.nullable().describe("Version in the green slot, or null when empty."),
  })
  .strict();
export type Slots = z.infer<typeof slotsSchema>;

export const historyEntrySchema = z
  .object({
    revision: z.number().int().min(1).describe("Revision this change produced."),
    at: z.iso.datetime().describe("When (ISO-8601 UTC)."),
    by: z.string().min(1).max(200).describe("Who ran the command (user@host)."),
    command: z.enum(["stage", "canary", "promote", "rollback"]).describe("The command."),
    summary: z.string().max(500).describe("One line: what changed, from → to."),
    from: z.object({ stableColour: colourSchema, canaryWeight: z.number().int(), services: z.record(z.string(), slotsSchema) }).describe("Pointers before."),
    to: z.object({ stableColour: colourSchema, canaryWeight: z.number().int(), services: z.record(z.string(), slotsSchema) }).describe("Pointers after."),
  })
  .strict();
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const releaseStateSchema = z
  .object({
    schemaVersion: z.literal(1),
    environment: z.enum(ENVIRONMENTS),
    revision: z.number().int().min(0),
    stableColour: colourSchema,
    canaryWeight: z.number().int().min(0).max(100),
    services: z.partialRecord(z.enum(RELEASED_SERVICES), slotsSchema),
    history: z.array(historyEntrySchema),
  })
  .strict();
export type ReleaseState = z.infer<typeof releaseStateSchema>;

/** The state of an environment nothing was ever staged to: blue stable, weight 0, empty slots. */
export function initialState(environment: EnvironmentName): ReleaseState {
  return { schemaVersion: 1, environment, revision: 0, stableColour: "blue", canaryWeight: 0, services: {}, history: [] };
}

/** The colour the canary weight applies to: the one that is not stable. */
export function candidateColour(state: Pick<ReleaseState, "stableColour">): Colour {
  return otherColour(state.stableColour);
}

/** The pointers of a state (what a history entry records as `from` / `to`). */
export type Pointers = HistoryEntry["from"];

export function pointersOf(state: ReleaseState): Pointers {
  const services: Record<string, Slots> = {};
  for (const service of RELEASED_SERVICES) {
    const slots = state.services[service];
    if (slots) services[service] = { blue: slots.blue, green: slots.green };
  }
  return { stableColour: state.stableColour, canaryWeight: state.canaryWeight, services };
}
