import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../../common/errors";
import type { ToolContext } from "../deps";
import { checkRange } from "../domain/time";
import { dayRangeQuery, queryDayPage } from "../store/days";
import { nextVersion, retryOnConflict, versionCondition } from "../store/optimistic";
import { queryAll } from "../store/paging";
import { hasChanges } from "../store/update";
import { Access, Annotations, boundedText, choice, DEFAULT_PAGE_SIZE, defineTool, describeValue, entityId, localDate, pagingInput, pagingOutput } from "./define";

// Daily activities: one item per user per day (`date` = YYYY-MM-DD) holding that day's list.
// Every change is a read-modify-write of the whole list guarded by a `version` number, so two
// concurrent calls on the same day never lose each other's changes (issue #2: no transactions).

export const ACTIVITY_TYPES = [
  "wakeUp",
  "sleep",
  "exercise",
  "meal",
  "snack",
  "mood",
  "medication",
  "bowelMovement",
  "urination",
  "symptoms",
  "other",
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** A day holds at most this many activities. */
export const MAX_ACTIVITIES_PER_DAY = 200;
/**
 * And at most this many bytes of activities (UTF-8 JSON), so the day's item stays far below
 * DynamoDB's 400 KB item limit whatever mix of long descriptions and items it holds.
 */
export const MAX_DAY_BYTES = 256 * 1024;
export const MAX_DESCRIPTION_LENGTH = 1000;
export const MAX_ITEMS_PER_ACTIVITY = 30;
export const MAX_ITEM_LENGTH = 200;

const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;

const activityFields = {
  time: z
    .string({ error: (issue) => `time must be HH:MM on a 24-hour clock (00:00-23:59), got ${describeValue(issue.input)}` })
    .regex(TIME_RE, { error: (issue) => `time must be HH:MM on a 24-hour clock (00:00-23:59), got ${describeValue(issue.input)}` })
    .describe("Time of day the activity happened, HH:MM on a 24-hour clock (00:00-23:59), in the user's time zone."),
  activityType: choice("activityType", ACTIVITY_TYPES).describe(`Kind of activity: ${ACTIVITY_TYPES.join(" | ")}.`),
  description: boundedText("description", 1, MAX_DESCRIPTION_LENGTH).describe(`What happened, in the user's words (1-${MAX_DESCRIPTION_LENGTH} characters).`),
  items: z
    .array(
      boundedText("an item", 1, MAX_ITEM_LENGTH).describe(`One concrete detail, 1-${MAX_ITEM_LENGTH} characters (e.g. 'rice 150 g', 'push-ups 3x20').`),
    )
    .max(MAX_ITEMS_PER_ACTIVITY, {
      error: (issue) => `items may hold at most ${MAX_ITEMS_PER_ACTIVITY} entries, got ${Array.isArray(issue.input) ? issue.input.length : "more"}`,
    })
    .describe(
      `Concrete details such as foods with amounts or exercises with reps/time, at the level of detail the user gave (0-${MAX_ITEMS_PER_ACTIVITY} entries). Default: none.`,
    ),
};

const unknownActivityKeys = (allowed: string, hint: string) => (issue: { code?: string; keys?: string[] }) =>
  issue.code === "unrecognized_keys" ? `unknown field${(issue.keys?.length ?? 0) > 1 ? "s" : ""} ${(issue.keys ?? []).map((key) => `'${key}'`).join(", ")} in an activity: send only ${allowed}${hint}` : undefined;

const newActivityInput = z
  .strictObject(
    {
      time: activityFields.time,
      activityType: activityFields.activityType,
      description: activityFields.description,
      items: activityFields.items.optional(),
    },
    {
      error: unknownActivityKeys(
        "time, activityType, description, items",
        ". activityId is assigned by the server; to change an existing activity use UpdateActivity or UpdateActivities",
      ),
    },
  )
  .describe("A new activity. The server assigns its activityId.");

const replacementActivityInput = z
  .strictObject(
    {
      activityId: entityId("activityId")
        .optional()
        .describe("Id of an activity already recorded on this day, to keep its identity. Omit for a new activity (the server assigns an id)."),
      time: activityFields.time,
      activityType: activityFields.activityType,
      description: activityFields.description,
      items: activityFields.items.optional(),
    },
    { error: unknownActivityKeys("activityId, time, activityType, description, items", "") },
  )
  .describe("An activity of the new list for the day: an existing one (with its activityId) or a new one (without).");

const activityOutput = z
  .object({
    activityId: z.string().describe("Server-assigned id (UUIDv7) of the activity."),
    time: z.string().describe("Time of day, HH:MM (24-hour)."),
    activityType: z.enum(ACTIVITY_TYPES).describe(`Kind of activity: ${ACTIVITY_TYPES.join(" | ")}.`),
    description: z.string().describe("What happened."),
    items: z.array(z.string().describe("One concrete detail.")).describe("Concrete details (foods with amounts, exercises with reps/time …)."),
  })
  .describe("One recorded activity.");

const activityList = (what: string) => z.array(activityOutput).describe(`${what}, sorted by time.`);
const dateOutput = z.string().describe("The day, YYYY-MM-DD.");

/** One day's activities as list tools and GetUserHolisticData return them. */
export const dayActivitiesOutput = z
  .object({
    date: dateOutput,
    activities: activityList("That day's activities"),
    count: z.number().int().describe("How many activities that day holds."),
  })
  .describe("The activities of one day.");

function toDayActivities(item: Record<string, unknown>): z.infer<typeof dayActivitiesOutput> {
  const activities = sortByTime((item.activities ?? []) as StoredActivity[]).map(toActivity);
  return { date: String(item.date), activities, count: activities.length };
}

/** Every day with activities in [startDate, endDate], oldest first (GetUserHolisticData; short ranges). */
export async function activitiesBetween(context: ToolContext, startDate: string, endDate: string): Promise<z.infer<typeof dayActivitiesOutput>[]> {
  const items = await queryAll<Record<string, unknown>>(context.db, dayRangeQuery({ tableName: context.tables.activities, userId: context.userId, startDate, endDate }));
  return items.map(toDayActivities);
}

interface StoredActivity {
  readonly activityId: string;
  readonly time: string;
  readonly activityType: ActivityType;
  readonly description: string;
  readonly items: string[];
}

interface DayRecord {
  readonly activities: StoredActivity[];
  /** Absent only on items written by something other than these tools. */
  readonly version?: number;
  readonly createdAt: string;
}

type ActivityOutput = z.infer<typeof activityOutput>;

/** The activity as returned to callers (explicit fields: nothing else stored ever leaks). */
function toActivity(activity: StoredActivity): ActivityOutput {
  return {
    activityId: activity.activityId,
    time: activity.time,
    activityType: activity.activityType,
    description: activity.description,
    items: [...(activity.items ?? [])],
  };
}

/** Stable sort: activities at the same minute keep the order in which they were recorded. */
function sortByTime(activities: readonly StoredActivity[]): StoredActivity[] {
  return [...activities].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

async function readDay(context: ToolContext, date: string): Promise<DayRecord | undefined> {
  const { Item } = await context.db.send(new GetCommand({ TableName: context.tables.activities, Key: { userId: context.userId, date }, ConsistentRead: true }));
  return Item ? ({ activities: (Item.activities ?? []) as StoredActivity[], version: Item.version as number | undefined, createdAt: String(Item.createdAt) }) : undefined;
}

/** What a change computes from the day as it is now: the new list (empty = remove the day) and the tool's answer. */
interface DayPlan<R> {
  readonly activities: readonly StoredActivity[];
  readonly result: (saved: readonly StoredActivity[]) => R;
}

/** Refuses a change that makes the day too big; a change that shrinks a day (e.g. a delete) always passes. */
function checkDayBounds(date: string, activities: readonly StoredActivity[], before: readonly StoredActivity[]): void {
  if (activities.length > MAX_ACTIVITIES_PER_DAY && activities.length > before.length) {
    throw new InvalidInputError(
      `${date} would hold ${activities.length} activities; at most ${MAX_ACTIVITIES_PER_DAY} are kept per day. Combine related activities (use items for details) or record fewer.`,
    );
  }
  const bytes = Buffer.byteLength(JSON.stringify(activities), "utf8");
  if (bytes > MAX_DAY_BYTES && bytes > Buffer.byteLength(JSON.stringify(before), "utf8")) {
    throw new InvalidInputError(
      `${date}'s activities would take ${Math.ceil(bytes / 1024)} KB; at most ${MAX_DAY_BYTES / 1024} KB are kept per day. Shorten descriptions and items or record fewer activities.`,
    );
  }
}

/**
 * Read-modify-write of one day with optimistic concurrency: `plan` sees the day as stored and
 * returns the new list; the write succeeds only if nobody changed the day in between (version
 * check), otherwise the day is read again and `plan` runs again. `plan` throws to refuse the
 * change (unknown id, bounds …) before anything is written.
 */
async function changeDay<R>(context: ToolContext, date: string, plan: (day: DayRecord | undefined) => DayPlan<R>): Promise<R> {
  const table = context.tables.activities;
  const key = { userId: context.userId, date };
  const conflictMessage = `The activities of ${date} kept changing while this call tried to save; nothing was changed by this call. Read them again and retry.`;
  return retryOnConflict({ conflictMessage }, async () => {
    const day = await readDay(context, date);
    const { activities, result } = plan(day);
    const sorted = sortByTime(activities);
    checkDayBounds(date, sorted, day?.activities ?? []);
    const unchanged = versionCondition(day);
    if (sorted.length === 0) {
      // An empty day is not kept: its item is removed (nothing to remove if it never existed).
      if (day) await context.db.send(new DeleteCommand({ TableName: table, Key: key, ...unchanged }));
    } else {
      const timestamp = context.now().toISOString();
      await context.db.send(
        new PutCommand({
          TableName: table,
          Item: { ...key, activities: sorted, version: nextVersion(day), createdAt: day?.createdAt ?? timestamp, updatedAt: timestamp },
          ...unchanged,
        }),
      );
    }
    return result(sorted);
  });
}

function findActivity(day: DayRecord | undefined, date: string, activityId: string): StoredActivity {
  const found = day?.activities.find((activity) => activity.activityId === activityId);
  if (!found) throw NotFoundError.of("Activity", activityId, `No activity with this id is recorded on ${date}; call GetActivities with date ${date} to see the ids.`);
  return found;
}

function newActivity(context: ToolContext, fields: z.output<typeof newActivityInput>): StoredActivity {
  return { activityId: context.newId(), time: fields.time, activityType: fields.activityType, description: fields.description, items: fields.items ?? [] };
}

export const addActivities = defineTool({
  name: "AddActivities",
  title: "Add activities to a day",
  description:
    "Record one or more activities on a day; the day's existing activities are kept. The server assigns each activity's id. " +
    `A day holds at most ${MAX_ACTIVITIES_PER_DAY} activities and ${MAX_DAY_BYTES / 1024} KB of text.`,
  access: Access.Write,
  annotations: Annotations.create,
  input: {
    date: localDate("Day the activities happened"),
    activities: z
      .array(newActivityInput)
      .min(1, { error: "activities must hold at least one activity" })
      .max(MAX_ACTIVITIES_PER_DAY, { error: (issue) => `activities may hold at most ${MAX_ACTIVITIES_PER_DAY} per call, got ${Array.isArray(issue.input) ? issue.input.length : "more"}` })
      .describe(`The activities to add (1-${MAX_ACTIVITIES_PER_DAY}).`),
  },
  output: {
    date: dateOutput,
    addedCount: z.number().int().describe("How many activities were added."),
    addedActivityIds: z.array(z.string().describe("Id of an added activity.")).describe("Ids of the added activities, in the order they were sent."),
    addedActivities: z.array(activityOutput).describe("The added activities, in the order they were sent."),
    count: z.number().int().describe("How many activities the day holds now."),
  },
  async handler(args, context) {
    // Ids are assigned once, so a retry after a version conflict adds the same activities.
    const added = args.activities.map((fields) => newActivity(context, fields));
    return changeDay(context, args.date, (day) => ({
      activities: [...(day?.activities ?? []), ...added],
      result: (saved) => ({
        date: args.date,
        addedCount: added.length,
        addedActivityIds: added.map((activity) => activity.activityId),
        addedActivities: added.map(toActivity),
        count: saved.length,
      }),
    }));
  },
});

export const updateActivities = defineTool({
  name: "UpdateActivities",
  title: "Replace a day's activities",
  description:
    "Replace all activities of a day with the given list. Include an activity's activityId to keep it (with the new values); " +
    "activities without an id are new; recorded activities not in the list are removed. An empty list removes the day's record.",
  access: Access.Write,
  annotations: Annotations.replace,
  input: {
    date: localDate("Day whose activities are replaced"),
    activities: z
      .array(replacementActivityInput)
      .max(MAX_ACTIVITIES_PER_DAY, { error: (issue) => `activities may hold at most ${MAX_ACTIVITIES_PER_DAY} per day, got ${Array.isArray(issue.input) ? issue.input.length : "more"}` })
      .describe(`The complete new list for the day (0-${MAX_ACTIVITIES_PER_DAY}); [] removes every activity of the day.`),
  },
  output: {
    date: dateOutput,
    updatedCount: z.number().int().describe("How many activities the day holds now."),
    activityIds: z.array(z.string().describe("Id of an activity of the day.")).describe("Ids of the day's activities, sorted by time."),
    activities: activityList("The day's activities now"),
  },
  async handler(args, context) {
    const seen = new Set<string>();
    for (const activity of args.activities) {
      if (!activity.activityId) continue;
      if (seen.has(activity.activityId)) {
        throw new InvalidInputError(`activityId '${activity.activityId}' appears more than once; each activity may appear only once in the list.`);
      }
      seen.add(activity.activityId);
    }
    // New activities get their ids once, so a retry after a version conflict writes the same ids.
    const replacement = args.activities.map(({ activityId, ...fields }) => (activityId ? { ...fields, activityId, items: fields.items ?? [] } : newActivity(context, fields)));
    return changeDay(context, args.date, (day) => {
      for (const activityId of seen) findActivity(day, args.date, activityId);
      return {
        activities: replacement,
        result: (saved) => ({ date: args.date, updatedCount: saved.length, activityIds: saved.map((activity) => activity.activityId), activities: saved.map(toActivity) }),
      };
    });
  },
});

export const updateActivity = defineTool({
  name: "UpdateActivity",
  title: "Update one activity",
  description: "Change fields of one recorded activity, found by date and activityId. Only the fields you send change; the others keep their values.",
  access: Access.Write,
  annotations: Annotations.update,
  input: {
    date: localDate("Day the activity is recorded on"),
    activityId: entityId("activityId").describe("Id of the activity (from AddActivities or GetActivities)."),
    time: activityFields.time.optional(),
    activityType: activityFields.activityType.optional(),
    description: activityFields.description.optional(),
    items: activityFields.items.optional().describe(`Replaces the activity's details (0-${MAX_ITEMS_PER_ACTIVITY} entries; [] clears them).`),
  },
  output: {
    date: dateOutput,
    activityId: z.string().describe("Id of the updated activity."),
    updatedActivity: activityOutput,
  },
  async handler(args, context) {
    const { date, activityId, ...changes } = args;
    if (!hasChanges(changes)) {
      throw new InvalidInputError("Send at least one of time, activityType, description, items to update.");
    }
    return changeDay(context, date, (day) => {
      const current = findActivity(day, date, activityId);
      const updated: StoredActivity = {
        activityId,
        time: changes.time ?? current.time,
        activityType: changes.activityType ?? current.activityType,
        description: changes.description ?? current.description,
        items: changes.items ?? current.items ?? [],
      };
      return {
        activities: (day?.activities ?? []).map((activity) => (activity.activityId === activityId ? updated : activity)),
        result: () => ({ date, activityId, updatedActivity: toActivity(updated) }),
      };
    });
  },
});

export const deleteActivity = defineTool({
  name: "DeleteActivity",
  title: "Delete one activity",
  description: "Delete one recorded activity, found by date and activityId. When it was the day's last activity, the day's record is removed.",
  access: Access.Write,
  annotations: Annotations.delete,
  input: {
    date: localDate("Day the activity is recorded on"),
    activityId: entityId("activityId").describe("Id of the activity to delete (from AddActivities or GetActivities)."),
  },
  output: {
    date: dateOutput,
    activityId: z.string().describe("Id of the deleted activity."),
    deletedActivity: activityOutput,
    remainingCount: z.number().int().describe("How many activities the day still holds (0 = the day's record was removed)."),
  },
  async handler(args, context) {
    return changeDay(context, args.date, (day) => {
      const deleted = findActivity(day, args.date, args.activityId);
      return {
        activities: (day?.activities ?? []).filter((activity) => activity.activityId !== args.activityId),
        result: (saved) => ({ date: args.date, activityId: args.activityId, deletedActivity: toActivity(deleted), remainingCount: saved.length }),
      };
    });
  },
});

export const getActivities = defineTool({
  name: "GetActivities",
  title: "Get a day's activities",
  description: "Read the activities recorded on one day, sorted by time. A day without records returns an empty list.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    date: localDate("Day to read"),
  },
  output: {
    date: dateOutput,
    activities: activityList("The day's activities"),
    count: z.number().int().describe("How many activities the day holds."),
  },
  async handler(args, context) {
    const day = await readDay(context, args.date);
    const activities = sortByTime(day?.activities ?? []).map(toActivity);
    return { date: args.date, activities, count: activities.length };
  },
});

export const getActivitiesInRange = defineTool({
  name: "GetActivitiesInRange",
  title: "Get activities of a date range",
  description:
    "Read the activities of every day from startDate to endDate (both included, at most 365 days), oldest day first. " +
    "Only days with records are listed. Paginated by days: pass nextCursor as cursor for the next page.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    startDate: localDate("First day of the range"),
    endDate: localDate("Last day of the range (included; at most 365 days after startDate counting both ends)"),
    ...pagingInput,
  },
  output: {
    startDate: z.string().describe("First day of the range, YYYY-MM-DD."),
    endDate: z.string().describe("Last day of the range, YYYY-MM-DD."),
    dateRangeDays: z.number().int().describe("Calendar days in the range, both ends included."),
    dailyActivities: z.array(dayActivitiesOutput).describe("Days of this page that have activities, oldest first."),
    ...pagingOutput,
  },
  async handler(args, context) {
    const dateRangeDays = checkRange(args.startDate, args.endDate);
    const page = await queryDayPage(context.db, { tableName: context.tables.activities, userId: context.userId, ...args, limit: args.limit ?? DEFAULT_PAGE_SIZE });
    const dailyActivities = page.items.map(toDayActivities);
    return { startDate: args.startDate, endDate: args.endDate, dateRangeDays, dailyActivities, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  },
});

export const activitiesTools = [addActivities, updateActivities, updateActivity, deleteActivity, getActivities, getActivitiesInRange];
