import { loadConfig } from "./pipelines/config.ts";
import { runSignal } from "./pipelines/signal.ts";
const cfg = await loadConfig({ overrides: { dataDir: "/tmp/i11demo" } });
const a = await runSignal(cfg, { quiet: true, noCollect: true });
const s = a.signals[0];
console.log(JSON.stringify(s));
