import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { ConflictError, InvalidInputError, NotFoundError } from "../../common/errors";
import type { ToolContext } from "../deps";
import { deleteExisting, updateExisting } from "../store/existing";
import { filteredQuery } from "../store/filter";
import { queryPage } from "../store/paging";
import { buildSetUpdate, hasChanges } from "../store/update";
import { Access, Annotations, boundedText, choice, DEFAULT_PAGE_SIZE, defineTool, describeValue, entityId, isoDate, pagingInput, pagingOutput, timestamps, withoutUserId } from "./define";

// Health policies: the rules a user lives by (diet, exercise, sleep, fasting …). One item per
// policy, sort key policyId (UUIDv7, so key order is creation order). The original stored the
// parameters as `rules` and UpdatePolicy silently dropped them; here they are `parameters`
// everywhere and UpdatePolicy replaces them.

export const POLICY_TYPES = ["diet", "exercise", "sleep", "fasting", "other"] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

/**
 * Bounds of the free-form parameters, so one policy always fits a DynamoDB item (400 KB) even
 * with 3-byte characters: 50 keys x (20 x 100-character strings) is about 300 KB at most.
 */
export const PARAMETER_LIMITS = {
  maxKeys: 50,
  maxKeyLength: 100,
  maxStringLength: 500,
  maxListItems: 20,
  maxListItemLength: 100,
  /** Numbers beyond this lose precision in JSON and DynamoDB's SDK refuses unsafe integers. */
  maxNumber: 1e12,
  /** DynamoDB numbers cannot be smaller in magnitude than 1e-130; nobody needs more than this. */
  minNonZeroNumber: 1e-6,
} as const;

const LIST_HINT = "Call GetPolicies to list your policies and their policyIds.";

function parameterNumber() {
  const { maxNumber, minNonZeroNumber } = PARAMETER_LIMITS;
  return z
    .number()
    .refine((value) => Math.abs(value) <= maxNumber && (value === 0 || Math.abs(value) >= minNonZeroNumber), {
      error: (issue) => `numbers must be 0 or between ${minNonZeroNumber} and ${maxNumber} in magnitude, got ${describeValue(issue.input)}`,
    })
    .describe(`A number, e.g. 1800 (kcal) or 7.5 (hours); magnitude ${minNonZeroNumber}-${maxNumber}, or 0.`);
}

const parameterValue = z
  .union(
    [
      z.string().max(PARAMETER_LIMITS.maxStringLength, { error: `text values may have at most ${PARAMETER_LIMITS.maxStringLength} characters` }).describe(`Text, at most ${PARAMETER_LIMITS.maxStringLength} characters, e.g. '20:00'.`),
      parameterNumber(),
      z.boolean().describe("A yes/no setting, e.g. true."),
      z
        .array(z.string().max(PARAMETER_LIMITS.maxListItemLength, { error: `list items may have at most ${PARAMETER_LIMITS.maxListItemLength} characters` }).describe(`One list item, at most ${PARAMETER_LIMITS.maxListItemLength} characters.`))
        .max(PARAMETER_LIMITS.maxListItems, { error: `lists may have at most ${PARAMETER_LIMITS.maxListItems} items` })
        .describe(`A list of texts, at most ${PARAMETER_LIMITS.maxListItems} items, e.g. ['sugar', 'alcohol'].`),
    ],
    {
      error: (issue) =>
        `each parameter value must be text (at most ${PARAMETER_LIMITS.maxStringLength} characters), a number, true/false, or a list of at most ` +
        `${PARAMETER_LIMITS.maxListItems} texts (each at most ${PARAMETER_LIMITS.maxListItemLength} characters); got ${describeValue(issue.input)}`,
    },
  )
  .describe("Value of one parameter: text, number, boolean or list of texts.");

const parametersInput = z
  .record(
    z
      .string()
      .min(1)
      .max(PARAMETER_LIMITS.maxKeyLength)
      .describe(`Name of a parameter, 1-${PARAMETER_LIMITS.maxKeyLength} characters, e.g. 'maxDailyCalories'.`),
    parameterValue,
    {
      error: (issue) =>
        issue.code === "invalid_key"
          ? `parameter names must be 1-${PARAMETER_LIMITS.maxKeyLength} characters, got ${describeValue(issue.input)}`
          : `parameters must be an object of name → value, got ${describeValue(issue.input)}`,
    },
  )
  .refine((parameters) => Object.keys(parameters).length <= PARAMETER_LIMITS.maxKeys, {
    error: (issue) =>
      `parameters may have at most ${PARAMETER_LIMITS.maxKeys} entries, got ${Object.keys(issue.input as object).length}; combine or drop some.`,
  })
  .describe(
    `Settings of the policy as name → value, e.g. {"maxDailyCalories": 1800, "avoid": ["sugar"], "eatingWindow": "10:00-18:00"}. ` +
      `Values are text (≤ ${PARAMETER_LIMITS.maxStringLength} chars), numbers, true/false or lists of texts ` +
      `(≤ ${PARAMETER_LIMITS.maxListItems} items of ≤ ${PARAMETER_LIMITS.maxListItemLength} chars); at most ${PARAMETER_LIMITS.maxKeys} entries.`,
  );

const policyFields = {
  title: boundedText("title", 1, 200).describe("Short name of the policy, 1-200 characters, e.g. 'No sugar on weekdays'."),
  description: boundedText("description", 0, 2000).describe("The policy in words: what to do or avoid, and when. At most 2000 characters."),
  parameters: parametersInput,
  isActive: z
    .boolean({ error: (issue) => `isActive must be true or false, got ${describeValue(issue.input)}` })
    .describe("Whether the policy is currently followed (true) or set aside (false)."),
  startDate: isoDate().describe("First day the policy applies, YYYY-MM-DD. Must not be after endDate."),
  endDate: isoDate().describe("Last day the policy applies, YYYY-MM-DD. Must not be before startDate."),
};

/** A policy as every policy tool returns it. */
export const policyOutput = {
  policyId: z.string().describe("Id of the policy (pass it to UpdatePolicy / DeletePolicy)."),
  policyType: z.enum(POLICY_TYPES).describe("Kind of policy: diet, exercise, sleep, fasting or other."),
  title: z.string().describe("Short name of the policy."),
  description: z.string().optional().describe("The policy in words."),
  parameters: z
    .record(
      z.string().describe("Name of a parameter."),
      z
        .union([
          z.string().describe("Text value."),
          z.number().describe("Number value."),
          z.boolean().describe("Yes/no value."),
          z.array(z.string().describe("One list item.")).describe("List of texts."),
        ])
        .describe("Value of one parameter."),
    )
    .describe("Settings of the policy as name → value."),
  isActive: z.boolean().describe("Whether the policy is currently followed."),
  startDate: z.string().optional().describe("First day the policy applies, YYYY-MM-DD."),
  endDate: z.string().optional().describe("Last day the policy applies, YYYY-MM-DD."),
  ...timestamps,
};
export type Policy = z.infer<z.ZodObject<typeof policyOutput>>;

export function toPolicy(item: Record<string, unknown>): Policy {
  return withoutUserId(item) as Policy;
}

/** "Diet policy" for diet, "Other policy" for other: the title when none is given. */
export function defaultPolicyTitle(policyType: PolicyType): string {
  return `${policyType.charAt(0).toUpperCase()}${policyType.slice(1)} policy`;
}

function checkDateOrder(startDate: string | undefined, endDate: string | undefined): void {
  if (startDate && endDate && startDate > endDate) {
    throw new InvalidInputError(`startDate ${startDate} is after endDate ${endDate}; send a startDate on or before the endDate.`);
  }
}

const policyKey = (context: ToolContext, policyId: string) => ({ userId: context.userId, policyId });
const policyNotFound = (policyId: string) => NotFoundError.of("Policy", policyId, LIST_HINT);

/** The policy's table and key, and NotFound when the signed-in user has no such policy. */
const existingPolicy = (context: ToolContext, policyId: string) => ({
  tableName: context.tables.policies,
  key: policyKey(context, policyId),
  whenConditionFails: () => policyNotFound(policyId),
});

export const addPolicy = defineTool({
  name: "AddPolicy",
  title: "Add health policy",
  description:
    "Add a health policy (a rule the signed-in user follows, e.g. a diet or sleep rule) with optional free-form parameters. " +
    "It is active unless isActive is false. Returns the policy with its policyId.",
  access: Access.Write,
  annotations: Annotations.create,
  input: {
    policyType: choice("policyType", POLICY_TYPES).describe("Kind of policy: diet, exercise, sleep, fasting or other. Cannot be changed later."),
    title: policyFields.title.optional().describe("Short name of the policy, 1-200 characters. Default: '<Type> policy', e.g. 'Diet policy'."),
    description: policyFields.description.optional(),
    parameters: policyFields.parameters.optional(),
    isActive: policyFields.isActive.optional().describe("Whether the policy is followed from now on. Default true."),
    startDate: policyFields.startDate.optional(),
    endDate: policyFields.endDate.optional(),
  },
  output: policyOutput,
  async handler(args, context) {
    checkDateOrder(args.startDate, args.endDate);
    const timestamp = context.now().toISOString();
    const item = {
      userId: context.userId,
      policyId: context.newId(),
      policyType: args.policyType,
      title: args.title ?? defaultPolicyTitle(args.policyType),
      description: args.description,
      parameters: args.parameters ?? {},
      isActive: args.isActive ?? true,
      startDate: args.startDate,
      endDate: args.endDate,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    await context.db.send(new PutCommand({ TableName: context.tables.policies, Item: item, ConditionExpression: "attribute_not_exists(policyId)" }));
    return toPolicy(item);
  },
});

export const updatePolicy = defineTool({
  name: "UpdatePolicy",
  title: "Update health policy",
  description:
    "Change fields of one of the signed-in user's policies. Only the fields you send change; `parameters`, when sent, replaces " +
    "all parameters of the policy (send the complete set). Send at least one field. policyType cannot be changed: delete the " +
    "policy and add a new one instead.",
  access: Access.Write,
  annotations: Annotations.update,
  input: {
    policyId: entityId("policyId").describe("Id of the policy to change, as returned by AddPolicy or GetPolicies."),
    title: policyFields.title.optional(),
    description: policyFields.description.optional(),
    parameters: policyFields.parameters.optional().describe("The complete new parameters (name → value); they replace the stored ones. Send {} to remove all."),
    isActive: policyFields.isActive.optional(),
    startDate: policyFields.startDate.optional(),
    endDate: policyFields.endDate.optional(),
  },
  output: policyOutput,
  async handler({ policyId, ...fields }, context) {
    if (!hasChanges(fields)) {
      throw new InvalidInputError("Send at least one of title, description, parameters, isActive, startDate, endDate to update the policy.");
    }
    checkDateOrder(fields.startDate, fields.endDate);
    const update = buildSetUpdate({ ...fields, updatedAt: context.now().toISOString() });
    // A date sent alone must still keep startDate <= endDate against the stored other date;
    // the condition checks it atomically with the write.
    const dateConditions: string[] = [];
    if (fields.startDate && !fields.endDate) {
      dateConditions.push("(attribute_not_exists(#endDate) OR #endDate >= :startDate)");
      update.ExpressionAttributeNames["#endDate"] = "endDate";
      update.ExpressionAttributeValues[":startDate"] = fields.startDate;
    }
    if (fields.endDate && !fields.startDate) {
      dateConditions.push("(attribute_not_exists(#startDate) OR #startDate <= :endDate)");
      update.ExpressionAttributeNames["#startDate"] = "startDate";
      update.ExpressionAttributeValues[":endDate"] = fields.endDate;
    }
    const updated = await updateExisting(context.db, {
      ...existingPolicy(context, policyId),
      update,
      conditions: dateConditions,
      // The date conditions can fail too: tell the caller which one did.
      whenConditionFails: () => explainFailedUpdate(context, policyId, fields),
    });
    return toPolicy(updated);
  },
});

/** Tells "no such policy" from "the date sent would end before it starts" after a failed condition. */
async function explainFailedUpdate(context: ToolContext, policyId: string, fields: { startDate?: string; endDate?: string }): Promise<Error> {
  const { Item } = await context.db.send(new GetCommand({ TableName: context.tables.policies, Key: policyKey(context, policyId), ConsistentRead: true }));
  if (!Item) return policyNotFound(policyId);
  const storedEnd = typeof Item.endDate === "string" ? Item.endDate : undefined;
  const storedStart = typeof Item.startDate === "string" ? Item.startDate : undefined;
  if (fields.startDate && storedEnd && fields.startDate > storedEnd) {
    return new InvalidInputError(`startDate ${fields.startDate} is after the policy's endDate ${storedEnd}; send a startDate on or before it, or send a new endDate too.`);
  }
  if (fields.endDate && storedStart && fields.endDate < storedStart) {
    return new InvalidInputError(`endDate ${fields.endDate} is before the policy's startDate ${storedStart}; send an endDate on or after it, or send a new startDate too.`);
  }
  // The stored dates changed between the failed write and this read: nothing was written.
  return new ConflictError(`Policy '${policyId}' was changed by another request at the same time; nothing was updated. Read it with GetPolicies and retry.`);
}

export const deletePolicy = defineTool({
  name: "DeletePolicy",
  title: "Delete health policy",
  description: "Delete one of the signed-in user's policies. Returns the deleted policy. This cannot be undone (to pause a policy, set isActive false with UpdatePolicy).",
  access: Access.Write,
  annotations: Annotations.delete,
  input: {
    policyId: entityId("policyId").describe("Id of the policy to delete, as returned by AddPolicy or GetPolicies."),
  },
  output: policyOutput,
  async handler({ policyId }, context) {
    return toPolicy(await deleteExisting(context.db, existingPolicy(context, policyId)));
  },
});

export const getPolicies = defineTool({
  name: "GetPolicies",
  title: "List health policies",
  description: "List the signed-in user's policies, oldest first, one page at a time. Optionally only active (isActive true) or inactive ones, and/or one policyType.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    isActive: policyFields.isActive.optional().describe("true: only active policies; false: only inactive ones. Omit for all."),
    policyType: choice("policyType", POLICY_TYPES).optional().describe("Only policies of this kind: diet, exercise, sleep, fasting or other. Omit for all."),
    ...pagingInput,
  },
  output: {
    policies: z.array(z.object(policyOutput).describe("One policy.")).describe("The policies on this page, oldest first."),
    ...pagingOutput,
  },
  async handler({ isActive, policyType, limit, cursor }, context) {
    const page = await queryPage<Record<string, unknown>>({
      client: context.db,
      input: filteredQuery({ tableName: context.tables.policies, userId: context.userId, equals: { isActive, policyType } }),
      userId: context.userId,
      partitionKey: "userId",
      keyNames: ["userId", "policyId"],
      limit: limit ?? DEFAULT_PAGE_SIZE,
      cursor,
    });
    return { policies: page.items.map(toPolicy), nextCursor: page.nextCursor };
  },
});

export const policiesTools = [addPolicy, updatePolicy, deletePolicy, getPolicies];
