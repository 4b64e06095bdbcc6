import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../../common/errors";
import type { ToolContext } from "../deps";
import { checkRange, dayRangeInZone, toUtcIso } from "../domain/time";
import { deleteExisting } from "../store/existing";
import { nextVersion, retryOnConflict, versionCondition } from "../store/optimistic";
import { checkCursorInRange, queryAll, queryPage } from "../store/paging";
import { buildSetUpdate, hasChanges } from "../store/update";
import { Access, Annotations, defineTool, describeValue, entityId, isoDate, isoDateTime, MAX_PAGE_SIZE, pagingInput, pagingOutput, timeZone } from "./define";
import { resolveTimeZone, stripUndefined } from "./users";

// Body measurements: one item per measurement, keyed by a server UUIDv7. Field names stay
// snake_case as in the original (weight, body_fat_percentage, measurement_time, ...) so existing
// prompts keep working.
//
// The original kept "#latest"/"#oldest" summary items that went stale after updates (oldest was
// never recomputed) and broke on out-of-order entries. Here every metric has a sparse local index
// whose sort key is "<measurement time in UTC>#<measurementId>", present only when the item has
// that metric: latest = newest entry of the metric's index, oldest = first. Nothing to recompute.

/** The three metrics, their index sort-key attribute and index (catalogue.ts). */
export const METRICS = {
  weight: { keyAttribute: "weightAtKey", index: "byWeightAt", unit: "kg", min: 1, max: 1000 },
  height: { keyAttribute: "heightAtKey", index: "byHeightAt", unit: "cm", min: 50, max: 300 },
  body_fat_percentage: { keyAttribute: "bodyFatAtKey", index: "byBodyFatAt", unit: "%", min: 0, max: 100 },
} as const;
export type Metric = keyof typeof METRICS;
const METRIC_NAMES = Object.keys(METRICS) as Metric[];

const MEASURED_AT_KEY = "measuredAtKey";
const MEASURED_AT_INDEX = "byMeasuredAt";
const TABLE_KEY_NAMES = ["userId", "measurementId"] as const;
/** Attributes that never leave the store. */
const INTERNAL_ATTRIBUTES = new Set(["userId", "measurementId", "version", MEASURED_AT_KEY, ...METRIC_NAMES.map((metric) => METRICS[metric].keyAttribute)]);

const HISTORY_DEFAULT_LIMIT = 50;
const EARLIEST_MEASUREMENT = "1900-01-01T00:00:00.000Z";
/** Clock skew and time-zone slips are tolerated; a measurement further in the future is a mistake. */
const MAX_FUTURE_MS = 24 * 3600_000;
/** Attempts of the read-modify-write in UpdateBodyMeasurement before reporting a conflict (one measurement is rarely contended). */
const UPDATE_ATTEMPTS = 5;

// ---------------------------------------------------------------------------------------------
// Schemas

const metricInput = (metric: Metric, what: string) => {
  const { min, max, unit } = METRICS[metric];
  const range = `${min}-${max} ${unit}`;
  return z
    .number({ error: (issue) => (issue.input === undefined ? undefined : `${metric} must be a number in ${range}, got ${describeValue(issue.input)}`) })
    .min(min, { error: (issue) => `${metric} must be ${range}, got ${describeValue(issue.input)}` })
    .max(max, { error: (issue) => `${metric} must be ${range}, got ${describeValue(issue.input)}` })
    .optional()
    .describe(`${what}, ${range}.`);
};

const measurementInput = {
  weight: metricInput("weight", "Body weight in kilograms"),
  height: metricInput("height", "Height in centimetres"),
  body_fat_percentage: metricInput("body_fat_percentage", "Body fat percentage"),
};

const measurementTimeInput = (role: string) =>
  isoDateTime()
    .optional()
    .describe(`${role} ISO-8601 date-time with offset (e.g. 2026-12-04T07:30:00+09:00); from 1900 on and at most one day in the future.`);

export const measurementOutput = {
  measurement_id: z.string().describe("Server-assigned id of the measurement; pass it to UpdateBodyMeasurement or DeleteBodyMeasurement."),
  measurement_time: z.string().describe("When the measurement was taken, ISO-8601 with offset, as recorded."),
  weight: z.number().optional().describe("Body weight in kilograms."),
  height: z.number().optional().describe("Height in centimetres."),
  body_fat_percentage: z.number().optional().describe("Body fat percentage."),
  created_at: z.string().describe("When the record was created (ISO-8601, UTC)."),
  updated_at: z.string().describe("When the record was last changed (ISO-8601, UTC)."),
};
export type Measurement = z.infer<z.ZodObject<typeof measurementOutput>>;

const readingOutput = (metric: Metric, what: string) =>
  z
    .object({
      value: z.number().describe(`${what} (${METRICS[metric].unit}).`),
      measurement_time: z.string().describe("When that value was measured, ISO-8601 with offset."),
      measurement_id: z.string().describe("Id of the measurement that holds the value."),
    })
    .optional()
    .describe(`${what}; absent when no measurement has it.`);

export const readingsOutput = {
  weight: readingOutput("weight", "Body weight"),
  height: readingOutput("height", "Height"),
  body_fat_percentage: readingOutput("body_fat_percentage", "Body fat percentage"),
};
export type MetricReading = { value: number; measurement_time: string; measurement_id: string };
export type MetricReadings = Partial<Record<Metric, MetricReading>>;

// ---------------------------------------------------------------------------------------------
// Store helpers

type StoredMeasurement = Record<string, unknown> & { measurementId: string; measurement_time: string; version: number };

function toMeasurement(item: Record<string, unknown>): Measurement {
  const visible = Object.fromEntries(Object.entries(item).filter(([name]) => !INTERNAL_ATTRIBUTES.has(name)));
  return { measurement_id: item.measurementId as string, ...visible } as Measurement;
}

/** measuredAtKey plus the key of every metric the measurement has. */
function indexKeys(measurementId: string, measurementTime: string, metrics: Partial<Record<Metric, unknown>>): Record<string, string> {
  const sortKey = `${toUtcIso(measurementTime)}#${measurementId}`;
  const keys: Record<string, string> = { [MEASURED_AT_KEY]: sortKey };
  for (const metric of METRIC_NAMES) if (metrics[metric] !== undefined) keys[METRICS[metric].keyAttribute] = sortKey;
  return keys;
}

function checkMeasurementTime(value: string | undefined, context: ToolContext): void {
  if (value === undefined) return;
  const utc = toUtcIso(value);
  const latest = new Date(context.now().getTime() + MAX_FUTURE_MS).toISOString();
  if (utc < EARLIEST_MEASUREMENT || utc > latest) {
    throw new InvalidInputError(`measurement_time ${value} is out of range: give a time from 1900 on and no later than ${latest} (one day after now).`);
  }
}

function measurementNotFound(id: string): NotFoundError {
  return NotFoundError.of("Measurement", id, "Find measurement ids with GetMeasurementHistory or GetLatestMeasurements.");
}

async function readingsFromIndexes(context: ToolContext, newestFirst: boolean): Promise<MetricReadings> {
  const readings = await Promise.all(
    METRIC_NAMES.map(async (metric) => {
      const { Items } = await context.db.send(
        new QueryCommand({
          TableName: context.tables.bodyMeasurements,
          IndexName: METRICS[metric].index,
          KeyConditionExpression: "userId = :userId",
          ExpressionAttributeValues: { ":userId": context.userId },
          ScanIndexForward: !newestFirst,
          Limit: 1,
        }),
      );
      const item = Items?.[0];
      if (!item) return undefined;
      const reading: MetricReading = { value: item[metric] as number, measurement_time: item.measurement_time as string, measurement_id: item.measurementId as string };
      return [metric, reading] as const;
    }),
  );
  return Object.fromEntries(readings.filter((entry) => entry !== undefined)) as MetricReadings;
}

// ---------------------------------------------------------------------------------------------
// Read functions for other tools (GetUserHolisticData).

/** Per metric, the value with the latest measurement time (ties: the later id). */
export function latestMeasurements(context: ToolContext): Promise<MetricReadings> {
  return readingsFromIndexes(context, true);
}

/** Per metric, the value with the earliest measurement time (ties: the earlier id). */
export function oldestMeasurements(context: ToolContext): Promise<MetricReadings> {
  return readingsFromIndexes(context, false);
}

/**
 * Every measurement taken in [fromIso, toIso) (ISO-8601 instants with offset), newest first.
 * Unpaginated: use for short windows (e.g. the last few days).
 */
export async function measurementsBetween(context: ToolContext, fromIso: string, toIso: string): Promise<Measurement[]> {
  const items = await queryAll<Record<string, unknown>>(context.db, {
    TableName: context.tables.bodyMeasurements,
    IndexName: MEASURED_AT_INDEX,
    KeyConditionExpression: "userId = :userId AND #at BETWEEN :from AND :to",
    ExpressionAttributeNames: { "#at": MEASURED_AT_KEY },
    // "<to>#id" sorts after "<to>", so BETWEEN with bare instants is [from, to).
    ExpressionAttributeValues: { ":userId": context.userId, ":from": toUtcIso(fromIso), ":to": toUtcIso(toIso) },
    ScanIndexForward: false,
  });
  return items.map(toMeasurement);
}

// ---------------------------------------------------------------------------------------------
// Tools

export const addBodyMeasurement = defineTool({
  name: "AddBodyMeasurement",
  title: "Record body measurement",
  description:
    "Record a body measurement: weight, height and/or body fat percentage (at least one) taken at measurement_time (default now). " +
    "Returns the record with its server-assigned measurement_id.",
  access: Access.Write,
  annotations: Annotations.create,
  input: {
    ...measurementInput,
    measurement_time: measurementTimeInput("When the measurement was taken, default now;"),
  },
  output: measurementOutput,
  async handler(args, context) {
    const metrics = { weight: args.weight, height: args.height, body_fat_percentage: args.body_fat_percentage };
    if (!hasChanges(metrics)) throw new InvalidInputError("Send at least one of weight (kg), height (cm), body_fat_percentage (%).");
    checkMeasurementTime(args.measurement_time, context);
    const now = context.now().toISOString();
    const measurementId = context.newId();
    const measurementTime = args.measurement_time ?? now;
    const item = {
      userId: context.userId,
      measurementId,
      measurement_time: measurementTime,
      ...stripUndefined(metrics),
      ...indexKeys(measurementId, measurementTime, metrics),
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await context.db.send(new PutCommand({ TableName: context.tables.bodyMeasurements, Item: item, ConditionExpression: "attribute_not_exists(userId)" }));
    return toMeasurement(item);
  },
});

export const updateBodyMeasurement = defineTool({
  name: "UpdateBodyMeasurement",
  title: "Update body measurement",
  description:
    "Change values or the time of a recorded measurement. Only the fields you send change; the others keep their values. " +
    "To drop a value, delete the measurement and record it again.",
  access: Access.Write,
  annotations: Annotations.update,
  input: {
    measurement_id: entityId("measurement_id").describe("Id of the measurement, as returned by AddBodyMeasurement or GetMeasurementHistory."),
    ...measurementInput,
    measurement_time: measurementTimeInput("New measurement time,"),
  },
  output: measurementOutput,
  async handler(args, context) {
    const { measurement_id: measurementId, ...changes } = args;
    if (!hasChanges(changes)) throw new InvalidInputError("Send at least one of weight, height, body_fat_percentage, measurement_time to update.");
    checkMeasurementTime(changes.measurement_time, context);
    const key = { userId: context.userId, measurementId };
    const conflictMessage = `Measurement '${measurementId}' is being changed by another request; read it again and retry the update.`;
    // The index keys depend on the stored time and metrics, so this is a read-modify-write
    // guarded by `version`: a concurrent change makes the write fail and we re-read.
    return retryOnConflict({ attempts: UPDATE_ATTEMPTS, conflictMessage }, async () => {
      const { Item } = await context.db.send(new GetCommand({ TableName: context.tables.bodyMeasurements, Key: key, ConsistentRead: true }));
      if (!Item) throw measurementNotFound(measurementId);
      const stored = Item as StoredMeasurement;
      const merged = { ...stored, ...stripUndefined(changes) };
      const update = buildSetUpdate({
        ...changes,
        ...indexKeys(measurementId, merged.measurement_time, merged),
        updated_at: context.now().toISOString(),
        version: nextVersion(stored),
      });
      const unchanged = versionCondition(stored);
      const { Attributes } = await context.db.send(
        new UpdateCommand({
          TableName: context.tables.bodyMeasurements,
          Key: key,
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: unchanged.ConditionExpression,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, ...unchanged.ExpressionAttributeNames },
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...unchanged.ExpressionAttributeValues },
          ReturnValues: "ALL_NEW",
        }),
      );
      return toMeasurement(Attributes ?? {});
    });
  },
});

export const deleteBodyMeasurement = defineTool({
  name: "DeleteBodyMeasurement",
  title: "Delete body measurement",
  description: "Delete a recorded measurement. Returns the deleted record. Latest and oldest values then come from the remaining measurements.",
  access: Access.Write,
  annotations: Annotations.delete,
  input: {
    measurement_id: entityId("measurement_id").describe("Id of the measurement to delete."),
  },
  output: measurementOutput,
  async handler(args, context) {
    const deleted = await deleteExisting(context.db, {
      tableName: context.tables.bodyMeasurements,
      key: { userId: context.userId, measurementId: args.measurement_id },
      whenConditionFails: () => measurementNotFound(args.measurement_id),
    });
    return toMeasurement(deleted);
  },
});

export const getLatestMeasurements = defineTool({
  name: "GetLatestMeasurements",
  title: "Latest body measurements",
  description: "For each of weight, height and body fat percentage: the most recently measured value, when it was measured and its measurement_id.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {},
  output: { measurements: z.object(readingsOutput).describe("Latest value per metric; a metric never measured is absent.") },
  async handler(_args, context) {
    return { measurements: await latestMeasurements(context) };
  },
});

export const getOldestMeasurements = defineTool({
  name: "GetOldestMeasurements",
  title: "Oldest body measurements",
  description: "For each of weight, height and body fat percentage: the earliest measured value, when it was measured and its measurement_id.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {},
  output: { measurements: z.object(readingsOutput).describe("Earliest value per metric; a metric never measured is absent.") },
  async handler(_args, context) {
    return { measurements: await oldestMeasurements(context) };
  },
});

export const getMeasurementHistory = defineTool({
  name: "GetMeasurementHistory",
  title: "Body measurement history",
  description:
    "Measurements taken between start_date and end_date (inclusive, at most 365 days, dates in the user's time zone), newest first. " +
    "Paginated: pass nextCursor back as cursor for more.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    start_date: isoDate().describe("First day, YYYY-MM-DD, in the time zone."),
    end_date: isoDate().describe("Last day (included), YYYY-MM-DD, in the time zone; at most 365 days after start_date counting both ends."),
    timezone: timeZone().optional().describe("IANA time zone the dates are read in. Default: the profile's time zone, else UTC."),
    limit: z
      .number({ error: (issue) => (issue.input === undefined ? undefined : `limit must be a whole number 1-${MAX_PAGE_SIZE}, got ${describeValue(issue.input)}`) })
      .int({ error: (issue) => `limit must be a whole number 1-${MAX_PAGE_SIZE}, got ${describeValue(issue.input)}` })
      .min(1, { error: (issue) => `limit must be 1-${MAX_PAGE_SIZE}, got ${describeValue(issue.input)}` })
      .max(MAX_PAGE_SIZE, { error: (issue) => `limit must be 1-${MAX_PAGE_SIZE}, got ${describeValue(issue.input)}` })
      .optional()
      .describe(`Measurements per page, 1-${MAX_PAGE_SIZE}. Default ${HISTORY_DEFAULT_LIMIT}.`),
    cursor: pagingInput.cursor,
  },
  output: {
    measurements: z.array(z.object(measurementOutput).describe("One measurement.")).describe("Measurements on this page, newest first."),
    count: z.number().int().describe("Number of measurements on this page."),
    period: z
      .object({
        start_date: z.string().describe("First day of the range, YYYY-MM-DD."),
        end_date: z.string().describe("Last day of the range, YYYY-MM-DD."),
        timezone: z.string().describe("Time zone the dates were read in."),
      })
      .describe("The range that was searched."),
    ...pagingOutput,
  },
  async handler(args, context) {
    if (args.start_date > args.end_date) {
      throw new InvalidInputError(`start_date ${args.start_date} is after end_date ${args.end_date}; send start_date <= end_date.`);
    }
    checkRange(args.start_date, args.end_date);
    const zone = await resolveTimeZone(context, args.timezone);
    const { fromIso, toIso } = dayRangeInZone(args.start_date, args.end_date, zone);
    const keyNames = [...TABLE_KEY_NAMES, MEASURED_AT_KEY];
    checkCursorInRange(args.cursor, {
      userId: context.userId,
      keyNames,
      rangeKey: MEASURED_AT_KEY,
      from: fromIso,
      to: toIso,
      fix: "repeat the call with the same start_date, end_date and timezone, or omit cursor.",
    });
    const page = await queryPage<Record<string, unknown>>({
      client: context.db,
      input: {
        TableName: context.tables.bodyMeasurements,
        IndexName: MEASURED_AT_INDEX,
        KeyConditionExpression: "userId = :userId AND #at BETWEEN :from AND :to",
        ExpressionAttributeNames: { "#at": MEASURED_AT_KEY },
        ExpressionAttributeValues: { ":userId": context.userId, ":from": fromIso, ":to": toIso },
        ScanIndexForward: false,
      },
      userId: context.userId,
      partitionKey: "userId",
      keyNames,
      limit: args.limit ?? HISTORY_DEFAULT_LIMIT,
      cursor: args.cursor,
    });
    const measurements = page.items.map(toMeasurement);
    return {
      measurements,
      count: measurements.length,
      period: { start_date: args.start_date, end_date: args.end_date, timezone: zone },
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  },
});

export const bodyMeasurementsTools = [
  addBodyMeasurement,
  updateBodyMeasurement,
  deleteBodyMeasurement,
  getLatestMeasurements,
  getOldestMeasurements,
  getMeasurementHistory,
];
