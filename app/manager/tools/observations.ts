import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../../common/errors";
import type { ToolContext } from "../deps";
import { checkRange, dayRangeInZone, toUtcIso } from "../domain/time";
import { updateExisting } from "../store/existing";
import { checkCursorInRange, queryAll, queryPage } from "../store/paging";
import { buildSetUpdate, hasChanges, type UpdateParts } from "../store/update";
import { resolveTimeZone } from "./users";
import {
  Access,
  Annotations,
  boundedText,
  DEFAULT_PAGE_SIZE,
  defineTool,
  describeValue,
  entityId,
  isoDate,
  isoDateTime,
  oneToFive,
  pagingInput,
  pagingOutput,
  timeZone,
  timestamps,
} from "./define";

// Observations: follow-ups the coach proposes ("let's watch the back pain for 3 days"). Ids are
// server UUIDv7s (the original's per-day counters could collide under concurrent adds).
// `startKey` = "<start in UTC>#<id>" orders the byStart index; `inProgressKey` (same value) exists
// only while IN_PROGRESS, so the sparse inProgress index holds exactly the open observations.

export enum ObservationStatus {
  InProgress = "IN_PROGRESS",
  Completed = "COMPLETED",
  Cancelled = "CANCELLED",
}

export const LIMITS = {
  title: 200,
  description: 2000,
  checkItems: 20,
  checkItem: 200,
  frequency: 32,
  note: 500,
  conclusion: 2000,
  /** Keeps the item well below DynamoDB's 400 KB even with multi-byte text. */
  progressLogs: 200,
} as const;

const START_KEY = "startKey";
const IN_PROGRESS_KEY = "inProgressKey";
const INTERNAL_ATTRIBUTES = new Set(["userId", START_KEY, IN_PROGRESS_KEY]);

// ---------------------------------------------------------------------------------------------
// Schemas

const text = (field: string, max: number, what: string) => boundedText(field, 1, max).describe(`${what} 1-${max} characters.`);

const DURATION_RE = /^P(?:(\d+)W|(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)$/;

/** ISO-8601 duration with whole numbers and a non-zero length: P1D, PT8H, P1W, P1DT12H. */
export function isPositiveDuration(value: string): boolean {
  const match = DURATION_RE.exec(value);
  if (!match || value.endsWith("T")) return false;
  const numbers = match.slice(1).filter((part) => part !== undefined);
  return numbers.length > 0 && numbers.some((part) => Number(part) > 0);
}

const frequency = () =>
  z
    .string({ error: (issue) => (issue.input === undefined ? undefined : `frequency must be text such as P1D, got ${describeValue(issue.input)}`) })
    .max(LIMITS.frequency, { error: `frequency must be at most ${LIMITS.frequency} characters, e.g. P1D` })
    .refine(isPositiveDuration, {
      error: (issue) =>
        `frequency must be an ISO-8601 duration with whole numbers such as P1D (daily), PT8H (every 8 hours), P1W (weekly) or P1DT12H, got ${describeValue(issue.input)}`,
    })
    .describe("How often to check, as an ISO-8601 duration: P1D (daily), PT8H (every 8 hours), P1W (weekly), P1DT12H.");

const priority = () => oneToFive("priority").describe("Priority 1-5 (1 low, 5 high).");

const checkItems = () =>
  z
    .array(text("checkItems item", LIMITS.checkItem, "One thing to check,"))
    .min(1, { error: `checkItems must hold 1-${LIMITS.checkItems} items; send at least one thing to check` })
    .max(LIMITS.checkItems, { error: (issue) => `checkItems must hold 1-${LIMITS.checkItems} items, got ${Array.isArray(issue.input) ? issue.input.length : describeValue(issue.input)}` })
    .describe(`What to check at each follow-up, 1-${LIMITS.checkItems} items.`);

const observationId = (what: string) => entityId("observationId").describe(what);

const progressLogOutput = z
  .object({
    date: z.string().describe("Day the progress refers to, YYYY-MM-DD."),
    note: z.string().describe("What was observed."),
    recordedAt: z.string().describe("When the log was recorded (ISO-8601, UTC)."),
  })
  .describe("One progress log.");

export const observationOutput = {
  observationId: z.string().describe("Server-assigned id of the observation."),
  title: z.string().describe("Short title."),
  description: z.string().describe("What is observed and why."),
  priority: z.number().int().describe("Priority 1-5 (1 low, 5 high)."),
  status: z.enum(ObservationStatus).describe("IN_PROGRESS until CompleteObservation or CancelObservation."),
  startDatetime: z.string().describe("Start of the observation, ISO-8601 with offset."),
  targetDatetime: z.string().describe("When the observation should conclude, ISO-8601 with offset."),
  frequency: z.string().describe("How often to check, ISO-8601 duration (e.g. P1D)."),
  checkItems: z.array(z.string().describe("One thing to check.")).describe("What to check at each follow-up."),
  progressLogs: z.array(progressLogOutput).describe("Progress logs, oldest first."),
  conclusion: z.string().optional().describe("Conclusion (COMPLETED) or reason (CANCELLED); absent while in progress."),
  ...timestamps,
};
export type Observation = z.infer<z.ZodObject<typeof observationOutput>>;

const observationListOutput = {
  observations: z.array(z.object(observationOutput).describe("One observation.")).describe("Observations on this page, by start time ascending."),
  count: z.number().int().describe("Number of observations on this page."),
  ...pagingOutput,
};

// ---------------------------------------------------------------------------------------------
// Store helpers

function toObservation(item: Record<string, unknown>): Observation {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !INTERNAL_ATTRIBUTES.has(name))) as Observation;
}

function observationNotFound(id: string): NotFoundError {
  return NotFoundError.of("Observation", id, "Find ids with GetObservationsInProgress or GetObservationsInRange.");
}

async function loadObservation(context: ToolContext, id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await context.db.send(
    new GetCommand({ TableName: context.tables.observations, Key: { userId: context.userId, observationId: id }, ConsistentRead: true }),
  );
  return Item;
}

function notInProgress(id: string, status: unknown, action: string): InvalidInputError {
  return new InvalidInputError(`Observation '${id}' is already ${String(status)}; only IN_PROGRESS observations can ${action}.`);
}

/**
 * Updates an existing observation and returns it. When the condition fails, a missing item is
 * NotFound; otherwise `explain` gets the stored item and says which rule the change broke.
 */
async function updateObservationItem(
  context: ToolContext,
  id: string,
  request: { update: UpdateParts; conditions?: readonly string[]; explain: (stored: Record<string, unknown>) => Error },
): Promise<Observation> {
  const updated = await updateExisting(context.db, {
    tableName: context.tables.observations,
    key: { userId: context.userId, observationId: id },
    update: request.update,
    conditions: request.conditions,
    whenConditionFails: async () => {
      const stored = await loadObservation(context, id);
      return stored ? request.explain(stored) : observationNotFound(id);
    },
  });
  return toObservation(updated);
}

/** Every observation in progress, by start time ascending (GetUserHolisticData). */
export async function observationsInProgress(context: ToolContext): Promise<Observation[]> {
  const items = await queryAll<Record<string, unknown>>(context.db, {
    TableName: context.tables.observations,
    IndexName: "inProgress",
    KeyConditionExpression: "userId = :userId",
    ExpressionAttributeValues: { ":userId": context.userId },
  });
  return items.map(toObservation);
}

// ---------------------------------------------------------------------------------------------
// Tools

export const addObservation = defineTool({
  name: "AddObservation",
  title: "Start observation",
  description:
    "Start a health follow-up (e.g. watch back pain for 3 days): what to check, how often and until when. " +
    "It stays IN_PROGRESS until CompleteObservation or CancelObservation.",
  access: Access.Write,
  annotations: Annotations.create,
  input: {
    title: text("title", LIMITS.title, "Short title,"),
    description: text("description", LIMITS.description, "What is observed and why,"),
    priority: priority(),
    startDatetime: isoDateTime().describe("Start, ISO-8601 date-time with offset, e.g. 2026-12-28T09:00:00+09:00."),
    targetDatetime: isoDateTime().describe("When to conclude, ISO-8601 date-time with offset; must be after startDatetime."),
    frequency: frequency(),
    checkItems: checkItems(),
  },
  output: observationOutput,
  async handler(args, context) {
    const startUtc = toUtcIso(args.startDatetime);
    if (toUtcIso(args.targetDatetime) <= startUtc) {
      throw new InvalidInputError(`targetDatetime ${args.targetDatetime} must be after startDatetime ${args.startDatetime}.`);
    }
    const now = context.now().toISOString();
    const id = context.newId();
    const sortKey = `${startUtc}#${id}`;
    const item = {
      userId: context.userId,
      observationId: id,
      ...args,
      status: ObservationStatus.InProgress,
      progressLogs: [],
      [START_KEY]: sortKey,
      [IN_PROGRESS_KEY]: sortKey,
      createdAt: now,
      updatedAt: now,
    };
    await context.db.send(new PutCommand({ TableName: context.tables.observations, Item: item, ConditionExpression: "attribute_not_exists(userId)" }));
    return toObservation(item);
  },
});

export const getObservation = defineTool({
  name: "GetObservation",
  title: "Get observation",
  description: "Read one observation with its progress logs.",
  access: Access.Read,
  annotations: Annotations.read,
  input: { observationId: observationId("Id of the observation.") },
  output: observationOutput,
  async handler(args, context) {
    const item = await loadObservation(context, args.observationId);
    if (!item) throw observationNotFound(args.observationId);
    return toObservation(item);
  },
});

export const getObservationsInRange = defineTool({
  name: "GetObservationsInRange",
  title: "Observations by start date",
  description:
    "Observations (any status) that started between startDate and endDate (inclusive, at most 365 days, dates in the user's time zone), " +
    "by start time ascending. Paginated: pass nextCursor back as cursor for more.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    startDate: isoDate().describe("First start day, YYYY-MM-DD."),
    endDate: isoDate().describe("Last start day (included), YYYY-MM-DD; at most 365 days after startDate counting both ends."),
    timezone: timeZone().optional().describe("IANA time zone the dates are read in. Default: the profile's time zone, else UTC."),
    ...pagingInput,
  },
  output: {
    ...observationListOutput,
    dateRange: z
      .object({
        startDate: z.string().describe("First start day, YYYY-MM-DD."),
        endDate: z.string().describe("Last start day, YYYY-MM-DD."),
        timezone: z.string().describe("Time zone the dates were read in."),
      })
      .describe("The range that was searched."),
  },
  async handler(args, context) {
    checkRange(args.startDate, args.endDate);
    const zone = await resolveTimeZone(context, args.timezone);
    const { fromIso, toIso } = dayRangeInZone(args.startDate, args.endDate, zone);
    const keyNames = ["userId", "observationId", START_KEY];
    checkCursorInRange(args.cursor, {
      userId: context.userId,
      keyNames,
      rangeKey: START_KEY,
      from: fromIso,
      to: toIso,
      fix: "repeat the call with the same startDate, endDate and timezone, or omit cursor.",
    });
    const page = await queryPage<Record<string, unknown>>({
      client: context.db,
      input: {
        TableName: context.tables.observations,
        IndexName: "byStart",
        KeyConditionExpression: "userId = :userId AND #start BETWEEN :from AND :to",
        ExpressionAttributeNames: { "#start": START_KEY },
        // "<to>#id" sorts after "<to>", so BETWEEN with bare instants is [from, to).
        ExpressionAttributeValues: { ":userId": context.userId, ":from": fromIso, ":to": toIso },
      },
      userId: context.userId,
      partitionKey: "userId",
      keyNames,
      limit: args.limit ?? DEFAULT_PAGE_SIZE,
      cursor: args.cursor,
    });
    const observations = page.items.map(toObservation);
    return {
      observations,
      count: observations.length,
      dateRange: { startDate: args.startDate, endDate: args.endDate, timezone: zone },
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  },
});

export const getObservationsInProgress = defineTool({
  name: "GetObservationsInProgress",
  title: "Observations in progress",
  description: "Observations that are IN_PROGRESS, by start time ascending. Paginated: pass nextCursor back as cursor for more.",
  access: Access.Read,
  annotations: Annotations.read,
  input: { ...pagingInput },
  output: observationListOutput,
  async handler(args, context) {
    const page = await queryPage<Record<string, unknown>>({
      client: context.db,
      input: {
        TableName: context.tables.observations,
        IndexName: "inProgress",
        KeyConditionExpression: "userId = :userId",
        ExpressionAttributeValues: { ":userId": context.userId },
      },
      userId: context.userId,
      partitionKey: "userId",
      keyNames: ["userId", "observationId", IN_PROGRESS_KEY],
      limit: args.limit ?? DEFAULT_PAGE_SIZE,
      cursor: args.cursor,
    });
    const observations = page.items.map(toObservation);
    return { observations, count: observations.length, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  },
});

export const updateObservation = defineTool({
  name: "UpdateObservation",
  title: "Update observation",
  description:
    "Change title, description, priority, targetDatetime, frequency or checkItems of an observation. Only the fields you send change. " +
    "Status, start, progress logs and conclusion are changed by their own tools.",
  access: Access.Write,
  annotations: Annotations.update,
  input: {
    observationId: observationId("Id of the observation to change."),
    title: text("title", LIMITS.title, "New short title,").optional(),
    description: text("description", LIMITS.description, "New description,").optional(),
    priority: priority().optional(),
    targetDatetime: isoDateTime().optional().describe("New conclusion time, ISO-8601 date-time with offset; must be after the observation's startDatetime."),
    frequency: frequency().optional(),
    checkItems: checkItems().optional(),
  },
  output: observationOutput,
  async handler(args, context) {
    const { observationId: id, ...changes } = args;
    if (!hasChanges(changes)) {
      throw new InvalidInputError("Send at least one of title, description, priority, targetDatetime, frequency, checkItems to update.");
    }
    const update = buildSetUpdate({ ...changes, updatedAt: context.now().toISOString() });
    // startKey begins with the stored start in UTC; "<start>#id" < "<target>" exactly when start < target,
    // so the rule holds atomically even if the stored start were to change.
    if (changes.targetDatetime) {
      update.ExpressionAttributeNames["#startKey"] = START_KEY;
      update.ExpressionAttributeValues[":targetUtc"] = toUtcIso(changes.targetDatetime);
    }
    return updateObservationItem(context, id, {
      update,
      conditions: changes.targetDatetime ? ["#startKey < :targetUtc"] : [],
      explain: (stored) => new InvalidInputError(`targetDatetime ${String(changes.targetDatetime)} must be after the observation's startDatetime ${String(stored.startDatetime)}.`),
    });
  },
});

export const addObservationProgress = defineTool({
  name: "AddObservationProgress",
  title: "Log observation progress",
  description: `Append a progress log (date and note) to an observation that is IN_PROGRESS. At most ${LIMITS.progressLogs} logs per observation.`,
  access: Access.Write,
  annotations: Annotations.create,
  input: {
    observationId: observationId("Id of the observation."),
    date: isoDate().describe("Day the progress refers to, YYYY-MM-DD."),
    note: text("note", LIMITS.note, "What was observed,"),
  },
  output: {
    ...observationOutput,
    addedProgressLog: progressLogOutput.describe("The log that was appended."),
  },
  async handler(args, context) {
    const now = context.now().toISOString();
    const entry = { date: args.date, note: args.note, recordedAt: now };
    // list_append in one conditional update: concurrent adds all land, none overwrites another.
    const observation = await updateObservationItem(context, args.observationId, {
      update: {
        UpdateExpression: "SET progressLogs = list_append(progressLogs, :entry), updatedAt = :now",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":entry": [entry], ":now": now, ":inProgress": ObservationStatus.InProgress, ":maxLogs": LIMITS.progressLogs },
      },
      conditions: ["#status = :inProgress", "size(progressLogs) < :maxLogs"],
      explain: (stored) =>
        stored.status !== ObservationStatus.InProgress
          ? notInProgress(args.observationId, stored.status, "get progress logs")
          : new InvalidInputError(
              `Observation '${args.observationId}' already has ${LIMITS.progressLogs} progress logs, the maximum; conclude it with CompleteObservation and start a new one with AddObservation.`,
            ),
    });
    return { ...observation, addedProgressLog: entry };
  },
});

function concludeTool(name: string, title: string, status: ObservationStatus.Completed | ObservationStatus.Cancelled, verb: string, conclusionWhat: string) {
  return defineTool({
    name,
    title,
    description: `${title} that is IN_PROGRESS, recording ${conclusionWhat}. It then leaves GetObservationsInProgress and takes no more progress logs.`,
    access: Access.Write,
    annotations: Annotations.update,
    input: {
      observationId: observationId(`Id of the observation to ${verb}.`),
      conclusion: text("conclusion", LIMITS.conclusion, `${conclusionWhat[0]?.toUpperCase()}${conclusionWhat.slice(1)},`),
    },
    output: observationOutput,
    async handler(args, context) {
      return updateObservationItem(context, args.observationId, {
        update: {
          UpdateExpression: "SET #status = :status, conclusion = :conclusion, updatedAt = :now REMOVE #inProgressKey",
          ExpressionAttributeNames: { "#status": "status", "#inProgressKey": IN_PROGRESS_KEY },
          ExpressionAttributeValues: {
            ":status": status,
            ":conclusion": args.conclusion,
            ":now": context.now().toISOString(),
            ":inProgress": ObservationStatus.InProgress,
          },
        },
        conditions: ["#status = :inProgress"],
        explain: (stored) => notInProgress(args.observationId, stored.status, "be completed or cancelled"),
      });
    },
  });
}

export const completeObservation = concludeTool("CompleteObservation", "Complete an observation", ObservationStatus.Completed, "complete", "the conclusion");
export const cancelObservation = concludeTool("CancelObservation", "Cancel an observation", ObservationStatus.Cancelled, "cancel", "the reason for cancelling");

export const observationsTools = [
  addObservation,
  getObservation,
  getObservationsInRange,
  getObservationsInProgress,
  updateObservation,
  addObservationProgress,
  completeObservation,
  cancelObservation,
];
