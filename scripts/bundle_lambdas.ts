/**
 * Bundles each Lambda handler (`lambdas/<kind>.ts`, files not starting with `_`) into one Node ESM file
 * `dist/lambdas/<kind>/index.mjs` with esbuild: platform node, target node22, every npm dependency inlined,
 * `node:*` built-ins external, `require`, `__filename` and `__dirname` shims for the CommonJS packages, and the
 * optional native add-ons of the MongoDB driver and the language model's runtime left out (both are loaded
 * lazily, and the handlers work without). A bundle holding TensorFlow.js's wasm backend gets its `.wasm` files
 * beside it (`dist/lambdas/<kind>/`), where the backend looks for them (`__dirname`): without them it falls
 * back to the pure-JS cpu backend. Prints the size of each bundle.
 *
 * Why esbuild and not `deno bundle`: Deno 2.9's `deno bundle --platform` accepts only `browser` or `deno`;
 * a Lambda needs a Node (`nodejs22.x`) bundle. esbuild resolves the npm packages from `node_modules/`
 * (`nodeModulesDir: auto` in deno.json) and the `@lib/` import-map alias through a small plugin.
 * @module
 */
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import { toolArgs } from "./_args.ts";
import { LANGUAGE_MODEL_PACKAGES } from "./_bundle_externals.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Optional dependencies the drivers require lazily inside try/catch. */
const OPTIONAL = [
  "kerberos",
  "snappy",
  "@mongodb-js/zstd",
  "mongodb-client-encryption",
  "gcp-metadata",
  "socks",
  "aws4",
  "@aws-sdk/credential-providers",
  "@napi-rs/snappy-*",
  "cardinal",
];

const libAlias: esbuild.Plugin = {
  name: "lib-alias",
  setup(b) {
    b.onResolve({ filter: /^@lib\// }, (a) => ({ path: `${ROOT}lib/${a.path.slice(5)}` }));
  },
};

/** Where the installed tfjs wasm backend keeps its `.wasm` files. */
const WASM_DIR = `${ROOT}node_modules/@tensorflow/tfjs-backend-wasm/dist/`;

/**
 * The tfjs wasm backend's `.wasm` files a bundle may load: the plain and SIMD builds (Node has no Worker global,
 * so the threaded build is never chosen).
 */
export const TFJS_WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm"] as const;

/** The {@link TFJS_WASM_FILES} a bundle names (none when it holds no wasm backend). */
export async function wasmFilesFor(bundle: string): Promise<string[]> {
  const text = await Deno.readTextFile(bundle);
  return TFJS_WASM_FILES.filter((w) => text.includes(w));
}

/** Kinds with a handler. */
export async function handlerKinds(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}lambdas`)) {
    if (e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_") && !e.name.endsWith("_test.ts")) {
      out.push(e.name.slice(0, -3));
    }
  }
  return out.sort();
}

/** Builds every bundle; returns `{kind, file, bytes}` per handler. */
export async function bundleLambdas(opts: { minify?: boolean } = {}) {
  // A fresh clone has no node_modules/ yet: install every npm import of deno.json for esbuild to resolve.
  const inst = await new Deno.Command(Deno.execPath(), { args: ["install", "--quiet"], cwd: ROOT }).output();
  if (!inst.success) {
    throw new Error(`deno install failed: ${new TextDecoder().decode(inst.stderr).slice(-500)}`);
  }
  const kinds = await handlerKinds();
  const out: { kind: string; file: string; bytes: number }[] = [];
  for (const kind of kinds) {
    const file = `${ROOT}dist/lambdas/${kind}/index.mjs`;
    await esbuild.build({
      entryPoints: [`${ROOT}lambdas/${kind}.ts`],
      outfile: file,
      bundle: true,
      platform: "node",
      target: "node22",
      format: "esm",
      minify: opts.minify ?? true,
      // class names kept: an error's name is its class's (lib/core/errors.ts), the first word of its logged line
      keepNames: true,
      sourcemap: false,
      legalComments: "none",
      // the language model's runtime: a Lambda has no model registry, and `news.scorer: auto` scores with the lexicon
      external: ["node:*", ...OPTIONAL, ...LANGUAGE_MODEL_PACKAGES],
      plugins: [libAlias],
      logLevel: "warning",
      banner: {
        js: "import { createRequire as __fmaiCreateRequire } from 'node:module';" +
          "import { fileURLToPath as __fmaiFileURLToPath } from 'node:url';" +
          "const require = __fmaiCreateRequire(import.meta.url);" +
          "const __filename = __fmaiFileURLToPath(import.meta.url);" +
          "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
      },
    });
    let bytes = (await Deno.stat(file)).size;
    for (const w of await wasmFilesFor(file)) {
      await Deno.copyFile(`${WASM_DIR}${w}`, `${ROOT}dist/lambdas/${kind}/${w}`);
      bytes += (await Deno.stat(`${WASM_DIR}${w}`)).size;
    }
    out.push({ kind, file, bytes });
  }
  await esbuild.stop();
  return out;
}

if (import.meta.main) {
  toolArgs("lambdas:bundle", {}); // no flags: --help prints the usage, anything else is one line, exit 2
  const t0 = performance.now();
  const res = await bundleLambdas();
  for (const r of res) {
    console.log(`${r.kind.padEnd(12)} ${(r.bytes / 1e6).toFixed(2).padStart(6)} MB  ${r.file}`);
  }
  console.log(`bundled ${res.length} handlers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
