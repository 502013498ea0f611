/**
 * The HTTP signal API over the stores: issued signals with provenance (latest, by date, as-of replay), model
 * versions and their lineage, the paper scorecard, drift and freshness, `/healthz`, Prometheus `/metrics` and
 * `/openapi.json`. Hono + zod (`@hono/zod-openapi`).
 * @module
 */
export * from "./app.ts";
export * from "./keys.ts";
export * from "./rate_limit.ts";
export * from "./metrics.ts";
export * from "./reader.ts";
export * from "./schemas.ts";
