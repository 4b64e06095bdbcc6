import { randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeJsonFile } from "../paths";

/**
 * Accounts of the local OpenID provider, kept in `<data dir>/oidc/accounts.json`. Passwords are
 * stored as scrypt hashes; `sub` is a random UUID assigned once (like a Cognito user's `sub`), so
 * the data keyed by it survives restarts and renames.
 */
export interface Account {
  readonly sub: string;
  readonly username: string;
  readonly createdAt: string;
}

interface StoredAccount extends Account {
  readonly passwordHash: string;
}

/** Usernames: 1-64 of lower-case letters, digits and `. _ - @ +`, starting with a letter or digit. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@+-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

/** A sign-up or sign-in that cannot succeed; `message` is shown on the login page. */
export class AccountError extends Error {
  constructor(
    readonly code: "invalid_username" | "invalid_password" | "username_taken" | "wrong_credentials",
    message: string,
  ) {
    super(message);
    this.name = "AccountError";
  }
}

const SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

const fileSchema = z.object({
  accounts: z.array(
    z.object({
      sub: z.uuid(),
      username: z.string().regex(USERNAME_PATTERN),
      createdAt: z.string(),
      passwordHash: z.string().startsWith("scrypt$"),
    }),
  ),
});

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

export class AccountStore {
  private readonly file: string;
  private accounts: StoredAccount[] = [];
  /** Serialises writes so two sign-ups never lose one another. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(oidcDir: string) {
    this.file = join(oidcDir, "accounts.json");
  }

  static async open(oidcDir: string): Promise<AccountStore> {
    const store = new AccountStore(oidcDir);
    const stored = await readJsonFile(store.file);
    if (stored !== undefined) {
      const parsed = fileSchema.safeParse(stored);
      if (!parsed.success) throw new Error(`${store.file} is not a valid account file; delete it to start with no accounts`);
      store.accounts = parsed.data.accounts;
    }
    return store;
  }

  findBySub(sub: string): Account | undefined {
    return publicView(this.accounts.find((account) => account.sub === sub));
  }

  findByUsername(username: string): Account | undefined {
    const wanted = normalizeUsername(username);
    return publicView(this.accounts.find((account) => account.username === wanted));
  }

  /** Creates an account; the username must be free and the password long enough. */
  async create(username: string, password: string): Promise<Account> {
    const name = normalizeUsername(username);
    if (!USERNAME_PATTERN.test(name)) {
      throw new AccountError("invalid_username", "Username must be 1-64 characters: letters, digits and . _ - @ +, starting with a letter or digit.");
    }
    if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      throw new AccountError("invalid_password", `Password must be ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters long.`);
    }
    const passwordHash = await hashPassword(password);
    const result = this.writing.then(async () => {
      if (this.accounts.some((account) => account.username === name)) {
        throw new AccountError("username_taken", `The username '${name}' is taken; sign in instead, or pick another.`);
      }
      const account: StoredAccount = { sub: randomUUID(), username: name, createdAt: new Date().toISOString(), passwordHash };
      const next = [...this.accounts, account];
      await writeJsonFile(this.file, { accounts: next });
      this.accounts = next;
      return publicView(account) as Account;
    });
    this.writing = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** The account for a correct username + password; the same error for unknown user and wrong password. */
  async authenticate(username: string, password: string): Promise<Account> {
    const stored = this.accounts.find((account) => account.username === normalizeUsername(username));
    // Hash even for an unknown user so the response time does not reveal which usernames exist.
    const ok = await verifyPassword(password, stored?.passwordHash ?? DUMMY_HASH);
    if (!stored || !ok) throw new AccountError("wrong_credentials", "Wrong username or password.");
    return publicView(stored) as Account;
  }
}

function publicView(account: StoredAccount | undefined): Account | undefined {
  return account && { sub: account.sub, username: account.username, createdAt: account.createdAt };
}

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, SCRYPT, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash || Number(n) !== SCRYPT.N || Number(r) !== SCRYPT.r || Number(p) !== SCRYPT.p) return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = await derive(password, Buffer.from(salt, "base64url"));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString("base64url")}$${Buffer.alloc(KEY_LENGTH).toString("base64url")}`;
