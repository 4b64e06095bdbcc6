/** `npm run token -- --user alice`: see tokenCommand.ts. The entry point reads the environment. */
import { runTokenCommand } from "./tokenCommand";

process.exitCode = await runTokenCommand(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
