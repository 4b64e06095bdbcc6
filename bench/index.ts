import { Command, InvalidArgumentError } from "commander";
import { benchMcp } from "./mcp";

/** `npm run bench [-- <suite…>]`: prints numbers and ratios against the issue targets. */
const SUITES = ["synth", "mcp", "bundle", "release"] as const;
type Suite = (typeof SUITES)[number];

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`expected a positive whole number, got '${value}'`);
  return parsed;
}

const program = new Command()
  .name("bench")
  .description(`Benchmarks: ${SUITES.join(", ")} (default: all)`)
  .argument("[suites...]", `which suites to run: ${SUITES.join(", ")}`)
  .option("--iterations <n>", "sequential calls per latency measurement", positiveInt, 2000)
  .option("--seconds <n>", "duration of each throughput run", positiveInt, 5)
  .action(async (suites: string[], options: { iterations: number; seconds: number }) => {
    const unknown = suites.filter((suite) => !SUITES.includes(suite as Suite));
    if (unknown.length) program.error(`unknown suite ${unknown.join(", ")}: choose from ${SUITES.join(", ")}`);
    const selected = (suites.length ? suites : SUITES) as Suite[];
    for (const suite of selected) {
      if (suite === "mcp") await benchMcp(options);
      else {
        const module = await import(`./${suite}.ts`);
        await module.run(options);
      }
    }
  });

await program.parseAsync();
