import { App } from "cdktf";
import { loadConfig } from "./modules/config";
import { defineStacks } from "./stacks/app";

// The only place that reads process.env for infrastructure (variables: modules/config.ts).
// `cdktf synth` / `cdktf deploy manager coach ui` run this file (cdktf.json "app").
const app = new App();
defineStacks(app, loadConfig(process.env));
app.synth();
