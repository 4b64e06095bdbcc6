import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { ConflictError, InvalidInputError, NotFoundError } from "../../common/errors";
import type { ToolContext } from "../deps";
import { updateExisting } from "../store/existing";
import { buildSetUpdate, hasChanges } from "../store/update";
import { Access, Annotations, defineTool, describeValue, isoDate, isValidTimeZone, timeZone, timestamps } from "./define";

// The user profile. The partition key is the token's sub; the profile never holds another id.

const dateOfBirth = () =>
  isoDate()
    .refine((value) => value >= "1900-01-01", { error: (issue) => `dateOfBirth must be in 1900 or later, got ${describeValue(issue.input)}` })
    .describe("Date of birth, YYYY-MM-DD; year 1900 or later and not in the future.");

const profileInput = {
  username: z.string().trim().min(1).max(100).describe("Display name, 1-100 characters."),
  email: z.email({ error: (issue) => `email must be an e-mail address, got ${describeValue(issue.input)}` }).max(254).describe("Contact e-mail address."),
  dateOfBirth: dateOfBirth(),
  timezone: timeZone().describe("The user's IANA time zone (e.g. Asia/Tokyo); 'today' for journals and activities is computed in it."),
};

/** AddUser and UpdateUser take the same fields, all optional. */
const optionalProfileInput = {
  username: profileInput.username.optional(),
  email: profileInput.email.optional(),
  dateOfBirth: profileInput.dateOfBirth.optional(),
  timezone: profileInput.timezone.optional(),
};

const profileOutput = {
  username: z.string().optional().describe("Display name."),
  email: z.string().optional().describe("Contact e-mail address."),
  dateOfBirth: z.string().optional().describe("Date of birth, YYYY-MM-DD."),
  timezone: z.string().optional().describe("IANA time zone."),
  ...timestamps,
};

export const userProfileOutput = profileOutput;
export type UserProfile = z.infer<z.ZodObject<typeof profileOutput>>;

function checkNotFuture(dateOfBirthValue: string | undefined, context: ToolContext): void {
  // Today in the most advanced zone (UTC+14), so nobody is refused their real birthday.
  const latest = new Date(context.now().getTime() + 14 * 3600_000).toISOString().slice(0, 10);
  if (dateOfBirthValue && dateOfBirthValue > latest) {
    throw new InvalidInputError(`dateOfBirth: ${dateOfBirthValue} is in the future; give the real date of birth (YYYY-MM-DD, not after ${latest}).`);
  }
}

function toProfile(item: Record<string, unknown>): UserProfile {
  const { userId: _userId, ...profile } = item;
  return profile as UserProfile;
}

export async function loadProfile(context: ToolContext): Promise<UserProfile | undefined> {
  const { Item } = await context.db.send(new GetCommand({ TableName: context.tables.users, Key: { userId: context.userId } }));
  return Item ? toProfile(Item) : undefined;
}

export const addUser = defineTool({
  name: "AddUser",
  title: "Create profile",
  description: "Create the signed-in user's profile. Fails if it already exists (use UpdateUser to change it).",
  access: Access.Write,
  annotations: Annotations.create,
  input: optionalProfileInput,
  output: profileOutput,
  async handler(args, context) {
    checkNotFuture(args.dateOfBirth, context);
    const timestamp = context.now().toISOString();
    const item = { userId: context.userId, ...stripUndefined(args), createdAt: timestamp, updatedAt: timestamp };
    try {
      await context.db.send(new PutCommand({ TableName: context.tables.users, Item: item, ConditionExpression: "attribute_not_exists(userId)" }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConflictError("A profile already exists for this user; use UpdateUser to change it or GetUser to read it.");
      throw error;
    }
    return toProfile(item);
  },
});

export const updateUser = defineTool({
  name: "UpdateUser",
  title: "Update profile",
  description: "Change fields of the signed-in user's profile. Only the fields you send change; the others keep their values.",
  access: Access.Write,
  annotations: Annotations.update,
  input: optionalProfileInput,
  output: profileOutput,
  async handler(args, context) {
    if (!hasChanges(args)) throw new InvalidInputError("Send at least one of username, email, dateOfBirth, timezone to update.");
    checkNotFuture(args.dateOfBirth, context);
    const update = buildSetUpdate({ ...args, updatedAt: context.now().toISOString() });
    const updated = await updateExisting(context.db, {
      tableName: context.tables.users,
      key: { userId: context.userId },
      update,
      whenConditionFails: () => new NotFoundError("The signed-in user has no profile yet; create it first with AddUser."),
    });
    return toProfile(updated);
  },
});

export const getUser = defineTool({
  name: "GetUser",
  title: "Get profile",
  description: "Read the signed-in user's profile.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {},
  output: profileOutput,
  async handler(_args, context) {
    const profile = await loadProfile(context);
    if (!profile) throw new NotFoundError("The signed-in user has no profile yet; create it with AddUser.");
    return profile;
  },
});

/** The time zone a date argument is read in: the argument, else the profile's, else UTC. */
export async function resolveTimeZone(context: ToolContext, explicit: string | undefined): Promise<string> {
  if (explicit) return explicit;
  const profileZone = (await loadProfile(context))?.timezone;
  return profileZone && isValidTimeZone(profileZone) ? profileZone : "UTC";
}

export function stripUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

export const userTools = [addUser, updateUser, getUser];
