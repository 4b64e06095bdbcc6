import { Command, CommanderError, InvalidArgumentError } from "commander";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { ALL_SCOPES, type Scope } from "../common/auth/scopes";
import { normalizeUsername, USERNAME_PATTERN } from "./oidc/accounts";
import { LocalClientId } from "./oidc/clients";
import { LoginError, obtainAccessToken, type ObtainedTokens } from "./oidc/login";
import { DEFAULT_HOME, localPaths, readJsonFile, writeJsonFile, type LocalPaths } from "./paths";
import { processAlive } from "../common/process";
import { readRuntimeInfo, RuntimeNotRunningError } from "./runtimeFile";

/**
 * `npm run token -- --user alice`: prints an access token for `alice` from the running local
 * OpenID provider, signing in through the real authorization-code + PKCE flow. The account is
 * created (through the sign-up form) on first use with a generated password, which is kept in
 * `<data dir>/cli-passwords.json` so later runs sign in again.
 */
export interface CommandIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const ExitCode = { Ok: 0, Failed: 1, Usage: 2 } as const;

interface TokenOptions {
  readonly user: string;
  readonly password?: string;
  readonly scopes: Scope[];
  readonly json: boolean;
}

export async function runTokenCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let options: TokenOptions;
  try {
    options = parse(argv, io);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    throw error;
  }

  const paths = localPaths(io.env.HEALTHMATE_HOME || DEFAULT_HOME);
  try {
    const runtime = await readRuntimeInfo(paths);
    const tokens = await signIn(paths, runtime.issuer, options, io).catch((error: unknown) => {
      if (error instanceof LoginError && error.code === "unreachable" && !processAlive(runtime.pid)) {
        throw new TokenCommandError(`${paths.runtimeFile} is left over from a runtime that is no longer running (pid ${runtime.pid}); start the local runtime first: npm start`);
      }
      throw error;
    });
    if (options.json) {
      io.stdout(`${JSON.stringify({ access_token: tokens.accessToken, id_token: tokens.idToken, token_type: tokens.tokenType, expires_in: tokens.expiresIn, scope: tokens.scope, mcp_url: runtime.mcpUrl }, null, 2)}\n`);
    } else {
      io.stdout(`${tokens.accessToken}\n`);
      io.stderr(`access token for '${options.user}' (${tokens.scope}), valid ${Math.round(tokens.expiresIn / 60)} min; MCP server: ${runtime.mcpUrl}\n`);
    }
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof RuntimeNotRunningError || error instanceof LoginError || error instanceof TokenCommandError) {
      io.stderr(`token: ${error.message}\n`);
      return ExitCode.Failed;
    }
    throw error;
  }
}

class TokenCommandError extends Error {}

function parse(argv: readonly string[], io: CommandIo): TokenOptions {
  const program = new Command("token")
    .description("Print an access token for a local user from the running local OpenID provider (npm start).")
    .requiredOption("-u, --user <name>", "username; the account is created on first use", parseUser)
    .option("-p, --password <password>", "password of an existing account (default: the one generated on first use)")
    .option("-s, --scopes <scopes...>", `scopes to grant, space or comma separated (default: all of ${ALL_SCOPES.join(", ")})`, parseScopes)
    .option("--json", "print the token response as JSON (access and ID token, expiry, MCP URL)", false)
    .allowExcessArguments(false)
    .showHelpAfterError("(npm run token -- --help shows the options)")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.parse([...argv], { from: "user" });
  const options = program.opts<{ user: string; password?: string; scopes?: Scope[][]; json: boolean }>();
  const scopes = options.scopes ? [...new Set(options.scopes.flat())] : [...ALL_SCOPES];
  if (scopes.length === 0) {
    program.error(`error: --scopes needs at least one of ${ALL_SCOPES.join(", ")}`, { exitCode: ExitCode.Usage });
  }
  return { user: options.user, password: options.password, scopes, json: options.json };
}

function parseUser(value: string): string {
  const user = normalizeUsername(value);
  if (!USERNAME_PATTERN.test(user)) {
    throw new InvalidArgumentError(`'${value}' is not a valid username: use 1-64 letters, digits and . _ - @ +, starting with a letter or digit.`);
  }
  return user;
}

function parseScopes(value: string, previous: Scope[][] | undefined): Scope[][] {
  const scopes = value.split(/[\s,]+/).filter(Boolean);
  for (const scope of scopes) {
    if (!(ALL_SCOPES as readonly string[]).includes(scope)) {
      throw new InvalidArgumentError(`unknown scope '${scope}'; allowed: ${ALL_SCOPES.join(", ")}`);
    }
  }
  return [...(previous ?? []), scopes as Scope[]];
}

const passwordFileSchema = z.object({ passwords: z.record(z.string(), z.string()) });

function passwordFile(paths: LocalPaths): string {
  return join(paths.home, "cli-passwords.json");
}

async function storedPasswords(paths: LocalPaths): Promise<Record<string, string>> {
  const parsed = passwordFileSchema.safeParse((await readJsonFile(passwordFile(paths))) ?? { passwords: {} });
  return parsed.success ? parsed.data.passwords : {};
}

async function signIn(paths: LocalPaths, issuer: string, options: TokenOptions, io: CommandIo): Promise<ObtainedTokens> {
  const passwords = await storedPasswords(paths);
  const request = { issuer, clientId: LocalClientId.Cli, username: options.user, scopes: options.scopes };

  if (options.password === undefined && passwords[options.user] === undefined) {
    // First use on this machine: create the account through the sign-up form.
    const password = randomBytes(18).toString("base64url");
    try {
      const tokens = await obtainAccessToken({ ...request, password, signUp: true });
      await writeJsonFile(passwordFile(paths), { passwords: { ...passwords, [options.user]: password } });
      io.stderr(`created local account '${options.user}' (password kept in ${passwordFile(paths)})\n`);
      return tokens;
    } catch (error) {
      if (error instanceof LoginError && error.code === "username_taken") {
        throw new TokenCommandError(`the account '${options.user}' already exists (created in the browser?) and no password for it is stored here; pass --password <password>`);
      }
      throw error;
    }
  }

  const password = options.password ?? (passwords[options.user] as string);
  try {
    return await obtainAccessToken({ ...request, password });
  } catch (error) {
    if (!(error instanceof LoginError) || error.code !== "wrong_credentials") throw error;
    if (options.password === undefined) {
      throw new TokenCommandError(`signing in as '${options.user}' with the stored password failed (was the account changed?); pass --password <password>`);
    }
  }
  // A password was given but did not sign in: the account may not exist yet — create it with it.
  try {
    const tokens = await obtainAccessToken({ ...request, password: options.password, signUp: true });
    io.stderr(`created local account '${options.user}' with the given password\n`);
    return tokens;
  } catch (error) {
    if (error instanceof LoginError && error.code === "username_taken") throw new TokenCommandError(`wrong password for '${options.user}'`);
    throw error;
  }
}
