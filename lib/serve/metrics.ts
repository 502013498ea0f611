/**
 * Prometheus text exposition (format 0.0.4) of the API: request counts by route, method and status, a latency
 * histogram by route, rate-limit and auth refusals, and the served model versions as an info metric.
 * @module
 */

/** Latency histogram bucket bounds, seconds. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

const esc = (v: string): string => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");

/** In-process counters and histograms of one API instance. */
export class ApiMetrics {
  readonly #requests = new Map<string, number>();
  readonly #latency = new Map<string, Histogram>();
  readonly #refused = new Map<string, number>();
  readonly startedAt = Date.now();

  /** Records one finished request under its route pattern (`/v1/signals/:symbol`; `unmatched` when none). */
  observe(route: string, method: string, status: number, seconds: number): void {
    const k = `${route}\u0000${method}\u0000${status}`;
    this.#requests.set(k, (this.#requests.get(k) ?? 0) + 1);
    let h = this.#latency.get(route);
    if (!h) {
      h = { counts: new Array(LATENCY_BUCKETS.length).fill(0), sum: 0, count: 0 };
      this.#latency.set(route, h);
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]) h.counts[i]++;
    h.sum += seconds;
    h.count++;
  }

  /** Records a refused request (`reason`: `auth`, `rate_limit`, `validation`, `size`). */
  refuse(reason: string): void {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
  }

  /** The exposition text; `models` maps an alias (or `latest_issued`) to a version. */
  render(models: Record<string, string>): string {
    const out: string[] = [];
    out.push("# HELP fmai_http_requests_total HTTP requests by route, method and status.");
    out.push("# TYPE fmai_http_requests_total counter");
    for (const [k, n] of [...this.#requests].sort()) {
      const [route, method, status] = k.split("\u0000");
      out.push(`fmai_http_requests_total{route="${esc(route)}",method="${method}",status="${status}"} ${n}`);
    }
    out.push("# HELP fmai_http_request_duration_seconds Time from request to response, by route.");
    out.push("# TYPE fmai_http_request_duration_seconds histogram");
    for (const [route, h] of [...this.#latency].sort()) {
      const r = esc(route);
      LATENCY_BUCKETS.forEach((le, i) =>
        out.push(`fmai_http_request_duration_seconds_bucket{route="${r}",le="${le}"} ${h.counts[i]}`)
      );
      out.push(`fmai_http_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${h.count}`);
      out.push(`fmai_http_request_duration_seconds_sum{route="${r}"} ${h.sum}`);
      out.push(`fmai_http_request_duration_seconds_count{route="${r}"} ${h.count}`);
    }
    out.push("# HELP fmai_http_refused_total Requests refused before reaching a handler, by reason.");
    out.push("# TYPE fmai_http_refused_total counter");
    for (const [reason, n] of [...this.#refused].sort()) {
      out.push(`fmai_http_refused_total{reason="${esc(reason)}"} ${n}`);
    }
    out.push("# HELP fmai_model_info Model versions the API serves, by alias (value 1).");
    out.push("# TYPE fmai_model_info gauge");
    for (const [alias, version] of Object.entries(models).sort()) {
      out.push(`fmai_model_info{alias="${esc(alias)}",version="${esc(version)}"} 1`);
    }
    out.push("# HELP fmai_process_start_time_seconds Start time of the API process.");
    out.push("# TYPE fmai_process_start_time_seconds gauge");
    out.push(`fmai_process_start_time_seconds ${Math.floor(this.startedAt / 1000)}`);
    return out.join("\n") + "\n";
  }
}
