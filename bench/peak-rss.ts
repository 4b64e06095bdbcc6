// Loaded with --import by bench/synth.ts: reports the process's peak resident memory at exit.
process.on("exit", () => {
  process.stderr.write(`peak-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
