import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../../common/errors";
import type { ToolContext } from "../deps";
import { deleteExisting, updateExisting } from "../store/existing";
import { filteredQuery } from "../store/filter";
import { queryPage } from "../store/paging";
import { buildSetUpdate, hasChanges } from "../store/update";
import { Access, Annotations, boundedText, choice, DEFAULT_PAGE_SIZE, defineTool, describeValue, entityId, oneToFive, pagingInput, pagingOutput, timestamps, withoutUserId } from "./define";

// Health concerns: what troubles the user, physically and/or mentally. One item per concern,
// sort key concernId (UUIDv7: time-ordered, so a descending query lists the newest first).

export const CONCERN_CATEGORIES = ["PHYSICAL", "MENTAL"] as const;
export const CONCERN_STATUSES = ["ACTIVE", "IMPROVED", "RESOLVED"] as const;
export const DEFAULT_CONCERN_SEVERITY = 3;

const LIST_HINT = "Call GetConcerns to list your concerns and their concernIds.";

const categoryInput = z
  .array(choice("category", CONCERN_CATEGORIES).describe("PHYSICAL (body) or MENTAL (mind)."), {
    error: (issue) => `category must be a list of PHYSICAL and/or MENTAL, got ${describeValue(issue.input)}`,
  })
  .min(1, { error: "category must name at least one of PHYSICAL, MENTAL, e.g. [\"PHYSICAL\"]" })
  .max(2, { error: "category may hold at most 2 values: PHYSICAL and/or MENTAL, each once" })
  .refine((values) => new Set(values).size === values.length, {
    error: (issue) => `category must not repeat a value, got ${describeValue(issue.input)}; send ["PHYSICAL"], ["MENTAL"] or ["PHYSICAL", "MENTAL"]`,
  })
  .describe('Whether the concern is physical, mental or both: ["PHYSICAL"], ["MENTAL"] or ["PHYSICAL", "MENTAL"].');

const concernFields = {
  category: categoryInput,
  description: boundedText("description", 1, 2000).describe("The concern in the user's words, 1-2000 characters, e.g. 'Stiff shoulders after desk work'."),
  severity: oneToFive("severity").describe(`How much it troubles the user, from 1 (slightly) to 5 (severely). Default ${DEFAULT_CONCERN_SEVERITY}.`),
  status: choice("status", CONCERN_STATUSES).describe("ACTIVE (still troubling), IMPROVED or RESOLVED. Default ACTIVE."),
  triggers: boundedText("triggers", 0, 2000).describe("What brings it on or makes it worse. At most 2000 characters."),
  history: boundedText("history", 0, 2000).describe("Since when, and what has been tried so far. At most 2000 characters."),
};

/** A concern as every concern tool returns it. */
export const concernOutput = {
  concernId: z.string().describe("Id of the concern (pass it to UpdateConcern / DeleteConcern)."),
  category: z.array(z.enum(CONCERN_CATEGORIES).describe("PHYSICAL or MENTAL.")).describe("Whether the concern is physical, mental or both."),
  description: z.string().describe("The concern in the user's words."),
  severity: z.number().int().min(1).max(5).describe("How much it troubles the user, 1 (slightly) to 5 (severely)."),
  status: z.enum(CONCERN_STATUSES).describe("ACTIVE, IMPROVED or RESOLVED."),
  triggers: z.string().optional().describe("What brings it on or makes it worse."),
  history: z.string().optional().describe("Since when, and what has been tried so far."),
  ...timestamps,
};
export type Concern = z.infer<z.ZodObject<typeof concernOutput>>;

export function toConcern(item: Record<string, unknown>): Concern {
  return withoutUserId(item) as Concern;
}

/** The concern's table and key, and NotFound when the signed-in user has no such concern. */
const existingConcern = (context: ToolContext, concernId: string) => ({
  tableName: context.tables.concerns,
  key: { userId: context.userId, concernId },
  whenConditionFails: () => NotFoundError.of("Concern", concernId, LIST_HINT),
});

export const addConcern = defineTool({
  name: "AddConcern",
  title: "Add health concern",
  description: "Record a health concern of the signed-in user (physical, mental or both). Returns the concern with its concernId.",
  access: Access.Write,
  annotations: Annotations.create,
  input: {
    category: concernFields.category,
    description: concernFields.description,
    severity: concernFields.severity.optional(),
    status: concernFields.status.optional(),
    triggers: concernFields.triggers.optional(),
    history: concernFields.history.optional(),
  },
  output: concernOutput,
  async handler(args, context) {
    const timestamp = context.now().toISOString();
    const item = {
      userId: context.userId,
      concernId: context.newId(),
      category: args.category,
      description: args.description,
      severity: args.severity ?? DEFAULT_CONCERN_SEVERITY,
      status: args.status ?? "ACTIVE",
      triggers: args.triggers,
      history: args.history,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    await context.db.send(new PutCommand({ TableName: context.tables.concerns, Item: item, ConditionExpression: "attribute_not_exists(concernId)" }));
    return toConcern(item);
  },
});

export const updateConcern = defineTool({
  name: "UpdateConcern",
  title: "Update health concern",
  description:
    "Change fields of one of the signed-in user's concerns, e.g. mark it IMPROVED or RESOLVED. Only the fields you send change; " +
    "the others keep their values. Send at least one field.",
  access: Access.Write,
  annotations: Annotations.update,
  input: {
    concernId: entityId("concernId").describe("Id of the concern to change, as returned by AddConcern or GetConcerns."),
    category: concernFields.category.optional(),
    description: concernFields.description.optional(),
    severity: concernFields.severity.optional().describe("How much it troubles the user, from 1 (slightly) to 5 (severely)."),
    status: concernFields.status.optional().describe("ACTIVE (still troubling), IMPROVED or RESOLVED."),
    triggers: concernFields.triggers.optional(),
    history: concernFields.history.optional(),
  },
  output: concernOutput,
  async handler({ concernId, ...fields }, context) {
    if (!hasChanges(fields)) {
      throw new InvalidInputError("Send at least one of category, description, severity, status, triggers, history to update the concern.");
    }
    const update = buildSetUpdate({ ...fields, updatedAt: context.now().toISOString() });
    return toConcern(await updateExisting(context.db, { ...existingConcern(context, concernId), update }));
  },
});

export const deleteConcern = defineTool({
  name: "DeleteConcern",
  title: "Delete health concern",
  description:
    "Delete one of the signed-in user's concerns. Returns the deleted concern. This cannot be undone (to keep the record of a concern that is over, set status RESOLVED with UpdateConcern).",
  access: Access.Write,
  annotations: Annotations.delete,
  input: {
    concernId: entityId("concernId").describe("Id of the concern to delete, as returned by AddConcern or GetConcerns."),
  },
  output: concernOutput,
  async handler({ concernId }, context) {
    return toConcern(await deleteExisting(context.db, existingConcern(context, concernId)));
  },
});

export const getConcerns = defineTool({
  name: "GetConcerns",
  title: "List health concerns",
  description: "List the signed-in user's concerns, newest first, one page at a time. Optionally only one status and/or one category.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    status: choice("status", CONCERN_STATUSES).optional().describe("Only concerns with this status: ACTIVE, IMPROVED or RESOLVED. Omit for all."),
    category: choice("category", CONCERN_CATEGORIES).optional().describe("Only concerns whose category includes this: PHYSICAL or MENTAL. Omit for all."),
    ...pagingInput,
  },
  output: {
    concerns: z.array(z.object(concernOutput).describe("One concern.")).describe("The concerns on this page, newest first."),
    ...pagingOutput,
  },
  async handler({ status, category, limit, cursor }, context) {
    const page = await queryPage<Record<string, unknown>>({
      client: context.db,
      // Newest first: concernIds are time-ordered UUIDv7s.
      input: { ...filteredQuery({ tableName: context.tables.concerns, userId: context.userId, equals: { status }, contains: { category } }), ScanIndexForward: false },
      userId: context.userId,
      partitionKey: "userId",
      keyNames: ["userId", "concernId"],
      limit: limit ?? DEFAULT_PAGE_SIZE,
      cursor,
    });
    return { concerns: page.items.map(toConcern), nextCursor: page.nextCursor };
  },
});

export const concernsTools = [addConcern, updateConcern, deleteConcern, getConcerns];
