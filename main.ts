import { App } from "cdktf";
import { loadConfig } from "./modules/config";
import { readReleaseStateFile, RELEASE_STATE_ENV, releaseStateFile } from "./modules/release/state-file";
import { defineStacks } from "./stacks/app";

// The only place that reads process.env for infrastructure (variables: modules/config.ts and
// RELEASE_STATE_ENV). `cdktf synth` / `cdktf deploy manager coach ui` run this file (cdktf.json
// "app"). The release state (Lambda aliases, KeyValueStore keys) comes from the environment's
// state file; see modules/release/state-file.ts for where that is.
// cdktf records a full stack trace for every token it creates; with source maps on (tsx turns
// them on) each of those traces is mapped frame by frame, ~20 % of a synth. Synth errors are
// messages (config, validation), so unmapped frames cost nothing here.
process.setSourceMapsEnabled(false);

const config = loadConfig(process.env);
const stateFile = releaseStateFile({
  environment: config.environment,
  projectRoot: process.cwd(),
  home: process.env[RELEASE_STATE_ENV.home]?.trim() || undefined,
  file: process.env[RELEASE_STATE_ENV.file]?.trim() || undefined,
  remoteState: config.remoteState,
});
const app = new App();
defineStacks(app, config, { release: readReleaseStateFile(stateFile, config.environment) });
app.synth();
