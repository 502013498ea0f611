/**
 * Response shape validation: a tiny schema of what a parser needs. Unknown fields are fine; a missing
 * required one (or one of the wrong kind) throws `DataSourceError("changed response shape: missing X")`.
 * @module
 */
import { DataSourceError } from "../core/mod.ts";

/** A shape: a primitive kind, an object of shapes, an array of a shape, or an optional/nullable shape. */
export type Shape =
  | "number"
  | "string"
  | "boolean"
  | "any"
  /** A number, a numeric string, a `{raw: number}` object, or a Date (Yahoo's formatted values). */
  | "numeric"
  | "array"
  | "object"
  | { readonly [key: string]: Shape }
  | ArrayShape
  | OptShape;

/** An array whose items all have `item`'s shape. */
export interface ArrayShape {
  readonly kind: "array";
  readonly item: Shape;
  /** Minimum length (default 0). */
  readonly min?: number;
}
/** A shape that may be missing (`undefined`) or `null`. */
export interface OptShape {
  readonly kind: "optional";
  readonly inner: Shape;
}

/** Array of `item`s (at least `min`). */
export function arrayOf(item: Shape, min = 0): ArrayShape {
  return { kind: "array", item, min };
}
/** `inner`, or missing/null. */
export function optional(inner: Shape): OptShape {
  return { kind: "optional", inner };
}

/** Where the error comes from. */
export interface ValidateContext {
  source: string;
  symbol?: string;
}

function isOpt(s: Shape): s is OptShape {
  return typeof s === "object" && (s as OptShape).kind === "optional" && "inner" in s;
}
function isArr(s: Shape): s is ArrayShape {
  return typeof s === "object" && (s as ArrayShape).kind === "array" && "item" in s;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Date) return "date";
  return typeof v;
}

function fail(ctx: ValidateContext, msg: string): never {
  throw new DataSourceError(
    `${ctx.source}${ctx.symbol ? ` ${ctx.symbol}` : ""}: changed response shape: ${msg}`,
    { source: ctx.source, symbol: ctx.symbol, userError: false },
  );
}

/** True when `v` is accepted by the `numeric` kind. */
export function isNumeric(v: unknown): boolean {
  if (typeof v === "number") return true;
  if (v instanceof Date) return true;
  if (typeof v === "string") return v.trim() !== "" && Number.isFinite(Number(v));
  return typeof v === "object" && v !== null && typeof (v as { raw?: unknown }).raw === "number";
}

function check(v: unknown, shape: Shape, path: string, ctx: ValidateContext): void {
  if (isOpt(shape)) {
    if (v === undefined || v === null) return;
    return check(v, shape.inner, path, ctx);
  }
  if (v === undefined || v === null) fail(ctx, `missing ${path}`);
  if (typeof shape === "string") {
    const k = kindOf(v);
    const ok = shape === "any" ||
      (shape === "numeric" ? isNumeric(v) : shape === "object" ? k === "object" : k === shape);
    if (!ok) fail(ctx, `${path} is ${k}, expected ${shape}`);
    return;
  }
  if (isArr(shape)) {
    if (!Array.isArray(v)) fail(ctx, `${path} is ${kindOf(v)}, expected array`);
    if (v.length < (shape.min ?? 0)) {
      fail(ctx, `missing ${path}[${v.length}] (expected at least ${shape.min})`);
    }
    for (let i = 0; i < v.length; i++) {
      // Arrays of primitives may hold nulls (Yahoo's gaps); only structured items must be present.
      if ((v[i] === null || v[i] === undefined) && typeof shape.item === "string") continue;
      check(v[i], shape.item, `${path}[${i}]`, ctx);
    }
    return;
  }
  if (kindOf(v) !== "object") fail(ctx, `${path} is ${kindOf(v)}, expected object`);
  const obj = v as Record<string, unknown>;
  for (const [key, sub] of Object.entries(shape)) {
    check(obj[key], sub as Shape, path ? `${path}.${key}` : key, ctx);
  }
}

/**
 * Checks `value` against `shape`; `root` names the value in messages (e.g. `chart.result[0]`).
 * Returns the value typed as `T` for convenience.
 */
export function validateShape<T>(value: unknown, shape: Shape, root: string, ctx: ValidateContext): T {
  check(value, shape, root, ctx);
  return value as T;
}
