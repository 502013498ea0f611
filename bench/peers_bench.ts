/**
 * Peers side by side (`deno task bench:peers`): the same inputs through our TypeScript models and through the
 * Python peers in `bench/peers/`, in one command: the peers' environment (`bench/peers/.venv`, pinned
 * `requirements.txt`) is set up by `bench/peers/setup.sh`, which this bench runs itself when the environment
 * is missing or no longer matches `requirements.txt` (a fresh clone needs nothing else). Reports quality and the wall-time ratio ours/peer:
 *
 * - Volatility (EVALUATION.md section 2 inputs: Oxford-Man rv5 and ^GSPC returns, out of sample 2013-2019,
 *   monthly expanding re-estimation): GARCH(1,1) `garchFit` vs `arch`, HAR-RV `harFitPanel` vs numpy OLS.
 *   Fit time = the sum over re-estimations; QLIKE / MZ R^2 computed here by the same code for both.
 * - The new section 2 members (`bench/peers/vol_family_peer.py`): GJR-GARCH-t `gjrFit` vs `arch` (zero mean,
 *   warm-started refits on both sides) and every HAR-family member `harxFitExpanding` vs `arch` HARX / LS (the
 *   design built independently in pandas) at h = 1: largest relative parameter and log-likelihood differences
 *   over all re-estimations, fit-time ratios.
 * - Risk (EVALUATION.md section 6, `bench/peers/risk_peer.py`): `arch`'s filtered-historical-simulation example
 *   (GJR-GARCH-t, constant mean) on the index 2013-2019 at our re-estimation points, against our `gjr-t` and
 *   `gjr-fhs` paths: VaR/ES differences, the backtests of arch's VaR, fit-time ratio.
 * - Trend (section 1 dataset on a reduced seeded ticker set): `LogisticModel` vs scikit-learn
 *   `LogisticRegression` (same penalty), `GbdtModel` vs LightGBM (matched depth, rate, bins, rounds, early
 *   stopping); accuracy, log loss, AUC on test, fit time.
 *
 * Writes `bench/results/peers-<date>.json`. Options: `--tickers N` (1..505, the data's tickers; default 60), `--seed S`
 * (an integer >= 0, default 42), `--skip-trend`, `--skip-vol`, `--skip-risk`, `--json PATH`; `--help` prints the
 * usage, and a bad flag or value is refused with exit 2 before any work (before the peers' set-up too).
 * @module
 */
import { benchResultsFile, intFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@lib/core/mod.ts";
import { buildDataset, segmentRows, TREND_SEGMENTS } from "@lib/dataset/mod.ts";
import {
  christoffersenIndependence,
  type GarchParams,
  GbdtModel,
  type GjrFit,
  gjrFit,
  HAR_SPECS,
  harxFit,
  harxFitExpanding,
  kupiec,
  LogisticModel,
  mincerZarnowitzR2,
  mseVariance,
  qlike,
  RISK_ALPHAS,
  trendMetrics,
  varHits,
} from "@lib/models/mod.ts";
import {
  EVAL_LABEL_HORIZON,
  indexRiskRun,
  loadMarket,
  loadSp500,
  loadVolInputs,
  VOL_HAR_METHODS,
  VOL_HORIZONS,
  VOL_OOS,
  volOrigins,
  volRun,
} from "@lib/evaluate/mod.ts";
import { SHARED_DATA as SHARED } from "../scripts/_bench.ts";

const { values } = toolArgs("bench:peers", {
  tickers: { type: "string", default: "60" },
  seed: { type: "string", default: "42" },
  "skip-trend": { type: "boolean" },
  "skip-vol": { type: "boolean" },
  "skip-risk": { type: "boolean" },
  json: { type: "string" },
});
/** Tickers in `sp500-5yr-ohlcv` (more would be the same run as all of them). */
const SP500_TICKERS = 505;
const tickers = toolCheck(() => intFlag("tickers", values.tickers, { max: SP500_TICKERS }));
if (values["skip-trend"] && values["skip-vol"] && values["skip-risk"]) {
  toolCheck(() => {
    throw new ConfigError("--skip-trend, --skip-vol and --skip-risk together leave nothing to measure");
  });
}
const seed = toolCheck(() => intFlag("seed", values.seed, { min: 0, max: 2 ** 32 - 1 }));
const PY = fileURLToPath(new URL("./peers/.venv/bin/python", import.meta.url));
const jsonOut = await benchResultsFile("peers", values.json);

async function python(script: string, ...rest: string[]): Promise<number> {
  const t0 = performance.now();
  const p = new Deno.Command(PY, {
    args: [fileURLToPath(new URL(`./peers/${script}`, import.meta.url)), ...rest],
    stdout: "inherit",
    stderr: "inherit",
    // single-threaded like ours (and no oversubscription on a shared 2-core machine)
    env: { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1", PYTHONWARNINGS: "ignore" },
  });
  const { code } = await p.output();
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  return performance.now() - t0;
}

await ensurePeers();

/**
 * Runs `bench/peers/setup.sh` when the peer environment is missing or was built from another
 * `requirements.txt` (a stamp file holds the requirements it was built from).
 */
async function ensurePeers(): Promise<void> {
  const dir = fileURLToPath(new URL("./peers/", import.meta.url));
  const want = await Deno.readTextFile(`${dir}requirements.txt`);
  let have = "";
  try {
    Deno.statSync(PY);
    have = await Deno.readTextFile(`${dir}.venv/requirements.stamp`);
  } catch { /* not set up */ }
  if (have === want) return;
  console.error("setting up the Python peers (bench/peers/setup.sh)...");
  const r = await new Deno.Command("bash", { args: [`${dir}setup.sh`], stdout: "inherit", stderr: "inherit" })
    .output();
  if (!r.success) {
    console.error(`bench/peers/setup.sh failed (exit ${r.code}): the peers need python3 with venv and PyPI`);
    Deno.exit(1);
  }
  await Deno.writeTextFile(`${dir}.venv/requirements.stamp`, want);
}

const tmp = mkdtempSync(join(tmpdir(), "fmai-peers-"));
const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  seed,
  machine: `${navigator.hardwareConcurrency} cpus`,
};
const rows: string[][] = [];
const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toPrecision(d) : "NaN");

try {
  if (!values["skip-vol"]) {
    // ---------------- volatility
    const inp = loadVolInputs(SHARED);
    const runs = VOL_HORIZONS.map((h) => ({ h, run: volRun(inp, h) }));
    // one set of re-estimation indices shared by all horizons (the union; each horizon maps its origins to it)
    const refitSet = new Set<number>();
    const perH: Record<string, { origins: number[]; refit_of: number[] }> = {};
    for (const h of VOL_HORIZONS) {
      const { origins, refit } = volOrigins(inp.dates, h);
      origins.forEach((t, k) => refit[k] && refitSet.add(t));
    }
    const refits = [...refitSet].sort((a, b) => a - b);
    for (const h of VOL_HORIZONS) {
      const { origins, refit } = volOrigins(inp.dates, h);
      let cur = -1;
      const ro: number[] = [];
      origins.forEach((t, k) => {
        if (refit[k]) cur = refits.indexOf(t);
        ro.push(cur);
      });
      perH[h] = { origins: Array.from(origins), refit_of: ro };
    }
    // our fit times over exactly these re-estimations (GARCH independent of h; HAR per h)
    const { garchFit, harFitPanel } = await import("@lib/models/mod.ts");
    let t0 = performance.now();
    const ourGarch: GarchParams[] = refits.map((t) => garchFit(inp.ret.slice(1, t + 1)));
    const ourGarchMs = performance.now() - t0;
    t0 = performance.now();
    for (const h of VOL_HORIZONS) for (const t of refits) harFitPanel([{ rv: inp.rv, to: t }], h);
    const ourHarMs = performance.now() - t0;
    const csv = [
      "date,ret,rv",
      ...inp.dates.map((d, i) => `${d},${Number.isFinite(inp.ret[i]) ? inp.ret[i] : ""},${inp.rv[i]}`),
    ].join("\n");
    writeFileSync(join(tmp, "vol.csv"), csv);
    writeFileSync(
      join(tmp, "vol_spec.json"),
      JSON.stringify({
        refits,
        horizons: VOL_HORIZONS,
        origins: Object.fromEntries(Object.entries(perH).map(([h, v]) => [h, v.origins])),
        refit_of: Object.fromEntries(Object.entries(perH).map(([h, v]) => [h, v.refit_of])),
      }),
    );
    const peerWall = await python(
      "vol_peer.py",
      join(tmp, "vol.csv"),
      join(tmp, "vol_spec.json"),
      join(tmp, "vol_out.json"),
    );
    const peer = JSON.parse(readFileSync(join(tmp, "vol_out.json"), "utf8"));
    const vol: Record<string, unknown> = {
      refits: refits.length,
      segment: `oos ${VOL_OOS.from}..${VOL_OOS.to}`,
      peer_wall_ms: peerWall,
      peer_versions: peer.versions,
      garch: {
        ours_fit_ms: ourGarchMs,
        peer_fit_ms: peer.garch.fit_s * 1000,
        ratio: ourGarchMs / (peer.garch.fit_s * 1000),
      },
      har: {
        ours_fit_ms: ourHarMs,
        peer_fit_ms: peer.har.fit_s * 1000,
        ratio: ourHarMs / (peer.har.fit_s * 1000),
      },
      last_params: { ours: ourGarch.at(-1), arch: peer.garch.params.at(-1) },
      quality: {} as Record<string, unknown>,
    };
    rows.push([
      "GARCH(1,1) fit x" + refits.length,
      "garchFit (TS)",
      `${ourGarchMs.toFixed(0)} ms`,
      "arch",
      `${(peer.garch.fit_s * 1000).toFixed(0)} ms`,
      f(ourGarchMs / (peer.garch.fit_s * 1000), 3),
    ]);
    rows.push([
      "HAR-RV OLS fit x" + refits.length * 3,
      "harFitPanel (TS)",
      `${ourHarMs.toFixed(1)} ms`,
      "numpy lstsq",
      `${(peer.har.fit_s * 1000).toFixed(1)} ms`,
      f(ourHarMs / (peer.har.fit_s * 1000), 3),
    ]);
    for (const { h, run } of runs) {
      const pg = Float64Array.from(peer.garch.forecasts[h] as number[], (v, k) => v * run.scale[k]);
      const ph = Float64Array.from(peer.har.forecasts[h] as (number | null)[], (v) => v ?? NaN);
      const q = {
        garch_ours: qlike(run.target, run.forecasts.garch11),
        garch_arch: qlike(run.target, pg),
        har_ours: qlike(run.target, run.forecasts["har-rv"]),
        har_numpy: qlike(run.target, ph),
        mz_r2_garch_ours: mincerZarnowitzR2(run.target, run.forecasts.garch11),
        mz_r2_garch_arch: mincerZarnowitzR2(run.target, pg),
        mz_r2_har_ours: mincerZarnowitzR2(run.target, run.forecasts["har-rv"]),
        mz_r2_har_numpy: mincerZarnowitzR2(run.target, ph),
        mse_garch_ours: mseVariance(run.target, run.forecasts.garch11),
        mse_garch_arch: mseVariance(run.target, pg),
        max_abs_rel_diff_har: Math.max(
          ...Array.from(ph, (v, k) => Math.abs(v / run.forecasts["har-rv"][k] - 1)),
        ),
      };
      (vol.quality as Record<string, unknown>)[`h${h}`] = q;
      rows.push([
        `QLIKE h=${h}`,
        "garch11 / har-rv (TS)",
        `${f(q.garch_ours)} / ${f(q.har_ours)}`,
        "arch / numpy",
        `${f(q.garch_arch)} / ${f(q.har_numpy)}`,
        "",
      ]);
    }
    result.volatility = vol;

    // ---------------- new section 2 members: GJR-GARCH-t and the HAR family (h = 1) against arch
    const h1 = volOrigins(inp.dates, 1);
    const refits1 = Array.from(h1.origins).filter((_, k) => h1.refit[k]);
    const num = (v: number) => (Number.isFinite(v) ? String(v) : "");
    writeFileSync(
      join(tmp, "fam.csv"),
      [
        "date,ret,rv,rsneg,rq,iv",
        ...inp.dates.map((d, i) =>
          [d, num(inp.ret[i]), num(inp.rv[i]), num(inp.rsNeg[i]), num(inp.rq[i]), num(inp.iv[i])].join(",")
        ),
      ].join("\n"),
    );
    writeFileSync(
      join(tmp, "fam_spec.json"),
      JSON.stringify({
        refits: refits1,
        har_models: Object.fromEntries(VOL_HAR_METHODS.map((m) => [m, HAR_SPECS[m]])),
      }),
    );
    // ours, timed on the same re-estimations (GJR warm-started from the previous fit, as arch is in the peer)
    let tg = performance.now();
    const ourGjr: GjrFit[] = [];
    for (const t of refits1) {
      ourGjr.push(
        gjrFit(inp.ret.subarray(1, t + 1), { dist: "t", mean: "zero", start: ourGjr.at(-1)?.params }),
      );
    }
    const ourGjrMs = performance.now() - tg;
    tg = performance.now();
    gjrFit(inp.ret.subarray(1, refits1.at(-1)! + 1), { dist: "t", mean: "zero" });
    const ourGjrColdMs = performance.now() - tg;
    const ourHar: Record<string, { ms: number; oneMs: number; fits: ReturnType<typeof harxFitExpanding> }> =
      {};
    for (const m of VOL_HAR_METHODS) {
      // a fresh inputs object so the cached design is built inside the timing, as the peer builds it too
      let t1 = performance.now();
      const fits = harxFitExpanding({ ...inp }, HAR_SPECS[m], 1, refits1);
      const ms = performance.now() - t1;
      t1 = performance.now();
      harxFit({ ...inp }, HAR_SPECS[m], 1, refits1.at(-1)!); // one fit from scratch on the longest window
      ourHar[m] = { ms, oneMs: performance.now() - t1, fits };
    }
    await python(
      "vol_family_peer.py",
      join(tmp, "fam.csv"),
      join(tmp, "fam_spec.json"),
      join(tmp, "fam_out.json"),
    );
    const fam = JSON.parse(readFileSync(join(tmp, "fam_out.json"), "utf8"));
    const rel = (a: number, b: number) => Math.abs(a / b - 1);
    const gjrKeys = ["omega", "gamma", "beta", "nu"] as const;
    let gjrMaxRel = 0, gjrMaxAlphaAbs = 0, gjrMaxLl = 0;
    (fam.gjr.fits as Record<string, number>[]).forEach((pf, k) => {
      const o = ourGjr[k];
      for (const key of gjrKeys) gjrMaxRel = Math.max(gjrMaxRel, rel(o.params[key], pf[key]));
      gjrMaxAlphaAbs = Math.max(gjrMaxAlphaAbs, Math.abs(o.params.alpha - pf.alpha));
      gjrMaxLl = Math.max(gjrMaxLl, rel(o.loglik, pf.loglik));
    });
    const family: Record<string, unknown> = {
      refits: refits1.length,
      peer_versions: fam.versions,
      "gjr-t": {
        ours_fit_ms: ourGjrMs,
        peer_fit_ms: fam.gjr.fit_s * 1000,
        ratio: ourGjrMs / (fam.gjr.fit_s * 1000),
        cold_ratio: ourGjrColdMs / (fam.gjr.cold_fit_s * 1000),
        max_rel_param_diff: gjrMaxRel,
        max_abs_alpha_diff: gjrMaxAlphaAbs,
        max_rel_loglik_diff: gjrMaxLl,
        last: { ours: ourGjr.at(-1)!.params, arch: fam.gjr.fits.at(-1) },
      },
    };
    rows.push([
      `GJR-GARCH-t fit x${refits1.length}`,
      "gjrFit (TS)",
      `${ourGjrMs.toFixed(0)} ms`,
      "arch",
      `${(fam.gjr.fit_s * 1000).toFixed(0)} ms`,
      f(ourGjrMs / (fam.gjr.fit_s * 1000), 3),
    ]);
    rows.push([
      "GJR-GARCH-t max rel diff",
      "params / loglik",
      `${f(gjrMaxRel, 2)} / ${f(gjrMaxLl, 2)}`,
      "alpha abs diff",
      f(gjrMaxAlphaAbs, 2),
      "",
    ]);
    for (const m of VOL_HAR_METHODS) {
      const peerFits = fam.har[m].fits as { beta: number[]; loglik: number; n: number }[];
      let maxRel = 0, maxLl = 0, nDiff = 0;
      peerFits.forEach((pf, k) => {
        const o = ourHar[m].fits[k], kk = o.beta.length;
        // relative to the coefficient's size, floored at 1e-6 of the largest one (an exact zero has no ratio)
        const scale = Math.max(...o.beta.map(Math.abs)) * 1e-6;
        o.beta.forEach((
          b,
          j,
        ) => (maxRel = Math.max(maxRel, Math.abs(b - pf.beta[j]) / Math.max(Math.abs(pf.beta[j]), scale))));
        const ssr = o.s2 * (o.n - kk), ll = (-o.n / 2) * (Math.log((2 * Math.PI * ssr) / o.n) + 1);
        maxLl = Math.max(maxLl, rel(ll, pf.loglik));
        nDiff = Math.max(nDiff, Math.abs(o.n - pf.n));
      });
      const peerOne = (fam.har[m].fit_s * 1000) / refits1.length; // arch's mean time per fit
      family[m] = {
        ours_fit_ms: ourHar[m].ms,
        peer_fit_ms: fam.har[m].fit_s * 1000,
        ratio: ourHar[m].ms / (fam.har[m].fit_s * 1000),
        ours_one_fit_ms: ourHar[m].oneMs,
        peer_mean_fit_ms: peerOne,
        one_fit_ratio: ourHar[m].oneMs / peerOne,
        max_rel_param_diff: maxRel,
        max_rel_loglik_diff: maxLl,
        max_rows_diff: nDiff,
      };
      rows.push([
        `${m} fit x${refits1.length} (h=1)`,
        "harxFitExpanding",
        `${ourHar[m].ms.toFixed(1)} ms`,
        m === "har-rv" ? "arch HARX" : "arch LS",
        `${(fam.har[m].fit_s * 1000).toFixed(0)} ms`,
        `${f(ourHar[m].ms / (fam.har[m].fit_s * 1000), 3)}; 1 fit ${
          f(ourHar[m].oneMs / peerOne, 3)
        } (params ${f(maxRel, 2)}, LL ${f(maxLl, 2)})`,
      ]);
    }
    result.volatility_family = family;
  }

  if (!values["skip-risk"]) {
    // ---------------- risk: arch's filtered historical simulation on the index
    const inp = loadVolInputs(SHARED);
    const ours = indexRiskRun(inp);
    const { origins, refit } = volOrigins(inp.dates, 1);
    const starts = Array.from(origins).filter((_, k) => refit[k]).map((t) => t + 1);
    writeFileSync(
      join(tmp, "risk.csv"),
      ["date,ret", ...inp.dates.map((d, i) => `${d},${Number.isFinite(inp.ret[i]) ? inp.ret[i] : ""}`)].join(
        "\n",
      ),
    );
    writeFileSync(
      join(tmp, "risk_spec.json"),
      JSON.stringify({ refits: starts, end: ours.to, alphas: RISK_ALPHAS }),
    );
    await python(
      "risk_peer.py",
      join(tmp, "risk.csv"),
      join(tmp, "risk_spec.json"),
      join(tmp, "risk_out.json"),
    );
    const peer = JSON.parse(readFileSync(join(tmp, "risk_out.json"), "utf8"));
    const risk: Record<string, unknown> = {
      days: ours.to - ours.from,
      refits: starts.length,
      ours_fit_ms: ours.timings.fit_gjr_ms,
      peer_fit_ms: peer.fit_s * 1000,
      ratio: ours.timings.fit_gjr_ms / (peer.fit_s * 1000),
    };
    rows.push([
      `GJR-t (const mean) fit x${starts.length}`,
      "gjrFit (TS)",
      `${ours.timings.fit_gjr_ms.toFixed(0)} ms`,
      "arch",
      `${(peer.fit_s * 1000).toFixed(0)} ms`,
      f(ours.timings.fit_gjr_ms / (peer.fit_s * 1000), 3),
    ]);
    const r = ours.returns.slice(ours.from, ours.to);
    for (const [mine, theirs] of [["gjr-t", "parametric"], ["gjr-fhs", "fhs"]] as const) {
      const path = ours.paths.find((p) => p.method === mine)!;
      RISK_ALPHAS.forEach((a, k) => {
        const pv = Float64Array.from(
          { length: ours.to - ours.from },
          (_, i) => peer[theirs][String(a)].var[ours.from + i] ?? NaN,
        );
        const pe = Float64Array.from(
          { length: ours.to - ours.from },
          (_, i) => peer[theirs][String(a)].es[ours.from + i] ?? NaN,
        );
        const ov = path.var_[k].subarray(ours.from, ours.to), oe = path.es[k].subarray(ours.from, ours.to);
        const d = Array.from(ov, (v, i) => Math.abs(v / pv[i] - 1)).filter(Number.isFinite).sort((x, y) =>
          x - y
        );
        const de = Array.from(oe, (v, i) => Math.abs(v / pe[i] - 1)).filter(Number.isFinite).sort((x, y) =>
          x - y
        );
        const hp = varHits(r, pv), ho = varHits(r, ov);
        const kp = kupiec(hp, a), ko = kupiec(ho, a);
        const cp = christoffersenIndependence(hp), co = christoffersenIndependence(ho);
        const key = `${mine}_${a}`;
        risk[key] = {
          median_rel_var_diff: d[Math.floor(d.length / 2)],
          max_rel_var_diff: d.at(-1),
          median_rel_es_diff: de[Math.floor(de.length / 2)],
          ours: { hits: ko.hits, kupiec_p: ko.pValue, christoffersen_p: co.pValue },
          arch: { hits: kp.hits, kupiec_p: kp.pValue, christoffersen_p: cp.pValue },
        };
        rows.push([
          `VaR ${(100 * (1 - a)).toFixed(1)}% ${mine}`,
          "hits / Kupiec p / Chr. p",
          `${ko.hits} / ${f(ko.pValue, 3)} / ${f(co.pValue, 3)}`,
          `arch ${theirs}`,
          `${kp.hits} / ${f(kp.pValue, 3)} / ${f(cp.pValue, 3)}`,
          `VaR diff median ${f(d[Math.floor(d.length / 2)], 2)}, max ${f(d.at(-1)!, 2)}`,
        ]);
      });
    }
    risk.peer_versions = peer.versions;
    result.risk = risk;
  }

  if (!values["skip-trend"]) {
    // ---------------- trend
    let t0 = performance.now();
    const series = await loadSp500({ sharedDir: SHARED, seed, reduced: true, tickers });
    const market = await loadMarket(SHARED);
    const ds = buildDataset({ series, market, segments: TREND_SEGMENTS, labelHorizon: EVAL_LABEL_HORIZON });
    const split = segmentRows(ds);
    const datasetMs = performance.now() - t0;
    const lab = (rows: Int32Array) =>
      Int32Array.from(Array.from(rows).filter((i) => ds.labels.trend[i] >= 0));
    const tr = lab(split.train), va = lab(split.valid), te = lab(split.test);
    const p = ds.featureNames.length;
    const dump = (name: string, r: Int32Array) => {
      const X = new Float64Array(r.length * p);
      r.forEach((i, k) => X.set(ds.X.subarray(i * p, (i + 1) * p), k * p));
      writeFileSync(join(tmp, `X_${name}.f64`), new Uint8Array(X.buffer));
      writeFileSync(
        join(tmp, `y_${name}.i8`),
        new Uint8Array(Int8Array.from(r, (i) => ds.labels.trend[i]).buffer),
      );
    };
    dump("train", tr);
    dump("valid", va);
    dump("test", te);
    const l2 = 1e-3;
    const gb = new GbdtModel({ seed });
    writeFileSync(
      join(tmp, "meta.json"),
      JSON.stringify({
        p,
        n: { train: tr.length, valid: va.length, test: te.length },
        l2,
        gbdt: gb.options,
        threads: 1,
      }),
    );
    const yTe = Int8Array.from(te, (i) => ds.labels.trend[i]);
    const ret = Float64Array.from(te, (i) => ds.labels.fwdReturn[i]);
    const dates = Array.from(te, (i) => ds.date[i]);
    t0 = performance.now();
    const lr = new LogisticModel({ l2 });
    await lr.fit(ds, tr);
    const lrFit = performance.now() - t0;
    const lrProbs = await lr.predict(ds, te);
    t0 = performance.now();
    await gb.fit(ds, tr, va);
    const gbFit = performance.now() - t0;
    const gbProbs = await gb.predict(ds, te);
    const peerWall = await python("trend_peer.py", tmp);
    const peer = JSON.parse(readFileSync(join(tmp, "peer.json"), "utf8"));
    const read = (n: string) => new Float64Array(readFileSync(join(tmp, n)).buffer.slice(0));
    const m = (pr: Float64Array) => {
      const t = trendMetrics(pr, yTe, ret, dates);
      return { accuracy: t.accuracy, logLoss: t.logLoss, auc: t.auc, ic: t.ic.mean };
    };
    const trend = {
      tickers: series.size,
      rows: { train: tr.length, valid: va.length, test: te.length, features: p },
      dataset_ms: datasetMs,
      peer_wall_ms: peerWall,
      peer_versions: peer.versions,
      logistic: {
        ours: { fit_ms: lrFit, iterations: lr.iterations, ...m(lrProbs) },
        sklearn: {
          fit_ms: peer.logistic_fit_s * 1000,
          iterations: peer.logistic_iterations,
          ...m(read("probs_logistic.f64")),
        },
        ratio: lrFit / (peer.logistic_fit_s * 1000),
      },
      gbdt: {
        ours: { fit_ms: gbFit, rounds: gb.rounds, ...m(gbProbs) },
        lightgbm: {
          fit_ms: peer.lightgbm_fit_s * 1000,
          rounds: peer.lightgbm_rounds,
          ...m(read("probs_lightgbm.f64")),
        },
        ratio: gbFit / (peer.lightgbm_fit_s * 1000),
      },
    };
    result.trend = trend;
    const L = trend.logistic, G = trend.gbdt;
    rows.push([
      "logistic fit",
      "LogisticModel",
      `${lrFit.toFixed(0)} ms`,
      "sklearn",
      `${L.sklearn.fit_ms.toFixed(0)} ms`,
      f(L.ratio, 3),
    ]);
    rows.push([
      "logistic acc / logloss / AUC",
      "",
      `${f(L.ours.accuracy)} / ${f(L.ours.logLoss)} / ${f(L.ours.auc)}`,
      "",
      `${f(L.sklearn.accuracy)} / ${f(L.sklearn.logLoss)} / ${f(L.sklearn.auc)}`,
      "",
    ]);
    rows.push([
      "GBDT fit",
      "GbdtModel",
      `${gbFit.toFixed(0)} ms (${gb.rounds} rounds)`,
      "LightGBM",
      `${G.lightgbm.fit_ms.toFixed(0)} ms (${G.lightgbm.rounds} rounds)`,
      f(G.ratio, 3),
    ]);
    rows.push([
      "GBDT acc / logloss / AUC",
      "",
      `${f(G.ours.accuracy)} / ${f(G.ours.logLoss)} / ${f(G.ours.auc)}`,
      "",
      `${f(G.lightgbm.accuracy)} / ${f(G.lightgbm.logLoss)} / ${f(G.lightgbm.auc)}`,
      "",
    ]);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const head = ["what", "ours", "value", "peer", "value", "ours/peer time"];
const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
for (const r of [head, ...rows]) console.log(r.map((c, k) => c.padEnd(widths[k])).join("  "));
writeFileSync(jsonOut, JSON.stringify(result, null, 2) + "\n");
console.log(`wrote ${jsonOut}`);
