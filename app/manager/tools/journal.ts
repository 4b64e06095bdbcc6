import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../../common/errors";
import type { ToolContext } from "../deps";
import { checkRange, dateInZone } from "../domain/time";
import { queryDayPage } from "../store/days";
import { deleteExisting, updateExisting } from "../store/existing";
import { nextVersion, retryOnConflict, versionCondition } from "../store/optimistic";
import { buildSetUpdate, hasChanges } from "../store/update";
import { Access, Annotations, DEFAULT_PAGE_SIZE, defineTool, describeValue, localDate, oneToFive, pagingInput, pagingOutput, timeZone, timestamps } from "./define";
import { resolveTimeZone } from "./users";

// The journal: one entry per user per day (`date` = YYYY-MM-DD). AddJournal appends to the day's
// entry with a read-modify-write guarded by a `version` number (DynamoDB cannot append to a
// string in an UpdateExpression), so concurrent additions never overwrite each other.

/** One AddJournal call adds at most this much text. */
export const MAX_ENTRY_LENGTH = 10_000;
/**
 * A day's entry (all additions together) holds at most this many characters. A UTF-16 code
 * unit is at most 3 UTF-8 bytes, so the item stays below ~300 KB, under DynamoDB's 400 KB.
 */
export const MAX_DAY_CONTENT_LENGTH = 100_000;
export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 50;
const TAG_RE = /^[A-Z][a-zA-Z0-9]*$/;

const content = (max: number, hint: string) =>
  z
    .string({ error: (issue) => `content must be text (1-${max} characters), got ${describeValue(issue.input)}` })
    .trim()
    .min(1, { error: `content must not be empty or blank: send 1-${max} characters` })
    .max(max, { error: (issue) => `content is too long: 1-${max} characters allowed, got ${String(issue.input).length}; ${hint}` })
    .describe(`The journal text, 1-${max} characters.`);

const moodScore = () =>
  oneToFive("moodScore").describe("Mood of the day, 1 (very bad) to 5 (very good).");

const tags = () =>
  z
    .array(
      z
        .string({ error: (issue) => `a tag must be text, got ${describeValue(issue.input)}` })
        .max(MAX_TAG_LENGTH, { error: (issue) => `a tag may be at most ${MAX_TAG_LENGTH} characters, got ${String(issue.input).length}` })
        .regex(TAG_RE, { error: (issue) => `tags must be PascalCase English words (letters and digits, starting with a capital, e.g. GoodSleep), got ${describeValue(issue.input)}` })
        .describe(`A PascalCase English tag, e.g. 'GoodSleep' or 'Headache' (pattern ^[A-Z][a-zA-Z0-9]*$, at most ${MAX_TAG_LENGTH} characters).`),
    )
    .max(MAX_TAGS, { error: (issue) => `at most ${MAX_TAGS} tags are allowed, got ${Array.isArray(issue.input) ? issue.input.length : "more"}` });

export const journalOutput = z
  .object({
    date: z.string().describe("The day of the entry, YYYY-MM-DD."),
    content: z.string().describe("The journal text; additions are separated by a blank line."),
    moodScore: z.number().int().optional().describe("Mood of the day, 1 (very bad) to 5 (very good); absent when never given."),
    tags: z.array(z.string().describe("A PascalCase tag.")).describe("Tags of the day's entry."),
    ...timestamps,
  })
  .describe("A journal entry (one per day).");

type JournalOutput = z.infer<typeof journalOutput>;

interface StoredJournal {
  readonly date: string;
  readonly content: string;
  readonly moodScore?: number;
  readonly tags?: string[];
  /** Absent only on items written by something other than these tools. */
  readonly version?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The entry as returned to callers (explicit fields: the user id and version never leak). */
function toJournal(item: Record<string, unknown>): JournalOutput {
  const stored = item as unknown as StoredJournal;
  return {
    date: stored.date,
    content: stored.content,
    ...(typeof stored.moodScore === "number" ? { moodScore: stored.moodScore } : {}),
    tags: [...(stored.tags ?? [])],
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

/** The entry of one day, if any (GetUserHolisticData). */
export async function journalOn(context: ToolContext, date: string): Promise<JournalOutput | undefined> {
  const { Item } = await context.db.send(new GetCommand({ TableName: context.tables.journals, Key: { userId: context.userId, date } }));
  return Item ? toJournal(Item) : undefined;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function notFound(date: string): NotFoundError {
  return new NotFoundError(`No journal entry exists for ${date}. Write one with AddJournal, or call GetJournalsInRange to find the days that have entries.`);
}

/** The day's entry, and NotFound when the signed-in user has none that day. */
const existingJournal = (context: ToolContext, date: string) => ({
  tableName: context.tables.journals,
  key: { userId: context.userId, date },
  whenConditionFails: () => notFound(date),
});

export const addJournal = defineTool({
  name: "AddJournal",
  title: "Write or extend a journal entry",
  description:
    "Write the journal entry of a day, or add to it: when the day already has an entry, the new content is appended after a blank line. " +
    "date defaults to the user's today (in timezone, else the profile's time zone, else UTC); future dates are refused. " +
    `A day's entry holds at most ${MAX_DAY_CONTENT_LENGTH} characters. moodScore replaces the day's mood; tags are merged into the day's tags (at most ${MAX_TAGS}).`,
  access: Access.Write,
  annotations: Annotations.create,
  input: {
    date: localDate("Day of the entry; not after the user's today. Default: the user's today").optional(),
    content: content(MAX_ENTRY_LENGTH, "split it into several AddJournal calls").describe(
      `The text to write (1-${MAX_ENTRY_LENGTH} characters); when the day already has an entry it is appended after a blank line.`,
    ),
    moodScore: moodScore().optional(),
    tags: tags()
      .optional()
      .describe(
        `3-4 PascalCase English tags summarising this addition (at most ${MAX_TAGS}). They are added to the day's existing tags (duplicates dropped); the day keeps at most ${MAX_TAGS}.`,
      ),
    timezone: timeZone()
      .optional()
      .describe("The user's IANA time zone (e.g. Asia/Tokyo), used to decide 'today'. Default: the profile's time zone, else UTC."),
  },
  output: {
    action: z.enum(["created", "appended"]).describe("created: the day had no entry yet; appended: the content was added to the day's entry."),
    journal: journalOutput,
  },
  async handler(args, context) {
    const zone = await resolveTimeZone(context, args.timezone);
    const today = dateInZone(context.now(), zone);
    const date = args.date ?? today;
    if (date > today) {
      throw new InvalidInputError(`date ${date} is in the future: today is ${today} in ${zone}. Journal entries can be written for today or earlier days.`);
    }
    const addedTags = unique(args.tags ?? []);
    const table = context.tables.journals;
    const key = { userId: context.userId, date };
    const conflictMessage = `The journal entry of ${date} kept changing while this call tried to save; nothing was added by this call. Retry it.`;
    return retryOnConflict({ conflictMessage }, async () => {
      const { Item } = await context.db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
      const existing = Item as StoredJournal | undefined;
      const combined = existing?.content ? `${existing.content}\n\n${args.content}` : args.content;
      if (combined.length > MAX_DAY_CONTENT_LENGTH) {
        throw new InvalidInputError(
          `the entry for ${date} would grow to ${combined.length} characters; a day's entry holds at most ${MAX_DAY_CONTENT_LENGTH}. ` +
            "Shorten the addition, or condense the day's entry with UpdateJournal first.",
        );
      }
      const mergedTags = unique([...(existing?.tags ?? []), ...addedTags]);
      if (mergedTags.length > MAX_TAGS) {
        throw new InvalidInputError(
          `the entry for ${date} already has tags ${(existing?.tags ?? []).join(", ")}; adding ${addedTags.join(", ")} would make ${mergedTags.length}, ` +
            `but at most ${MAX_TAGS} are kept. Send fewer tags, or replace the day's tags with UpdateJournal.`,
        );
      }
      const timestamp = context.now().toISOString();
      const moodScoreValue = args.moodScore ?? existing?.moodScore;
      const item = {
        ...key,
        content: combined,
        ...(moodScoreValue !== undefined ? { moodScore: moodScoreValue } : {}),
        tags: mergedTags,
        version: nextVersion(existing),
        createdAt: existing?.createdAt ?? timestamp,
        updatedAt: timestamp,
      };
      await context.db.send(new PutCommand({ TableName: table, Item: item, ...versionCondition(existing) }));
      return { action: existing ? ("appended" as const) : ("created" as const), journal: toJournal(item) };
    });
  },
});

export const getJournal = defineTool({
  name: "GetJournal",
  title: "Get a day's journal entry",
  description: "Read the journal entry of one day.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    date: localDate("Day of the entry"),
  },
  output: {
    journal: journalOutput,
  },
  async handler(args, context) {
    const { Item } = await context.db.send(new GetCommand({ TableName: context.tables.journals, Key: { userId: context.userId, date: args.date }, ConsistentRead: true }));
    if (!Item) throw notFound(args.date);
    return { journal: toJournal(Item) };
  },
});

export const getJournalsInRange = defineTool({
  name: "GetJournalsInRange",
  title: "Get journal entries of a date range",
  description:
    "Read the journal entries from startDate to endDate (both included, at most 365 days), oldest first. Only days with an entry are listed. " +
    "Paginated: pass nextCursor as cursor for the next page.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    startDate: localDate("First day of the range"),
    endDate: localDate("Last day of the range (included; at most 365 days counting both ends)"),
    ...pagingInput,
  },
  output: {
    journals: z.array(journalOutput).describe("Entries of this page, oldest first."),
    count: z.number().int().describe("How many entries this page holds."),
    dateRange: z
      .object({
        startDate: z.string().describe("First day of the range, YYYY-MM-DD."),
        endDate: z.string().describe("Last day of the range, YYYY-MM-DD."),
        days: z.number().int().describe("Calendar days in the range, both ends included."),
      })
      .describe("The range that was asked for."),
    ...pagingOutput,
  },
  async handler(args, context) {
    const days = checkRange(args.startDate, args.endDate);
    const page = await queryDayPage(context.db, { tableName: context.tables.journals, userId: context.userId, ...args, limit: args.limit ?? DEFAULT_PAGE_SIZE });
    const journals = page.items.map(toJournal);
    return {
      journals,
      count: journals.length,
      dateRange: { startDate: args.startDate, endDate: args.endDate, days },
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  },
});

export const updateJournal = defineTool({
  name: "UpdateJournal",
  title: "Update a journal entry",
  description:
    "Change the journal entry of a day. content replaces the whole text (no append; use AddJournal to add), moodScore replaces the mood, " +
    "tags replaces the tags ([] clears them). Only the fields you send change; send at least one.",
  access: Access.Write,
  annotations: Annotations.update,
  input: {
    date: localDate("Day of the entry to change"),
    content: content(MAX_DAY_CONTENT_LENGTH, "a day's entry holds at most that much")
      .optional()
      .describe(`The new text of the day's entry, replacing the old one (1-${MAX_DAY_CONTENT_LENGTH} characters).`),
    moodScore: moodScore().optional(),
    tags: tags().optional().describe(`The day's new tags, replacing the old ones (0-${MAX_TAGS} PascalCase tags; [] clears them).`),
  },
  output: {
    journal: journalOutput,
  },
  async handler(args, context) {
    const { date, ...changes } = args;
    if (!hasChanges(changes)) {
      throw new InvalidInputError("Send at least one of content, moodScore, tags to update.");
    }
    const update = buildSetUpdate({ ...changes, tags: changes.tags && unique(changes.tags), updatedAt: context.now().toISOString() });
    const updated = await updateExisting(context.db, {
      ...existingJournal(context, date),
      // Bumping the version makes a concurrent AddJournal re-read instead of writing over this change.
      update: {
        UpdateExpression: `${update.UpdateExpression} ADD #version :one`,
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, "#version": "version" },
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ":one": 1 },
      },
    });
    return { journal: toJournal(updated) };
  },
});

export const deleteJournal = defineTool({
  name: "DeleteJournal",
  title: "Delete a journal entry",
  description: "Delete the journal entry of a day. It cannot be recovered; the deleted entry is returned.",
  access: Access.Write,
  annotations: Annotations.delete,
  input: {
    date: localDate("Day of the entry to delete"),
  },
  output: {
    deletedJournal: journalOutput,
  },
  async handler(args, context) {
    return { deletedJournal: toJournal(await deleteExisting(context.db, existingJournal(context, args.date))) };
  },
});

export const journalTools = [addJournal, getJournal, getJournalsInRange, updateJournal, deleteJournal];
