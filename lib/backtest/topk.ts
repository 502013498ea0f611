/**
 * The top-k long-only portfolio of Qlib's model tables: each day, hold the `k` rows with the highest score in
 * equal weights, and compare with the equal-weight portfolio of every row that day. Excess return is reported
 * as Qlib does: arithmetic mean daily excess x 252 ("annualized return") and mean / std x sqrt(252)
 * ("information ratio"), before costs and after `costBps` per side on the names that change.
 * @module
 */

/** Options of {@link topkExcess}. */
export interface TopkOptions {
  /** Names held per day. */
  k: number;
  /** Cost per side in basis points, charged on the traded fraction of the book (default 0). */
  costBps?: number;
  periodsPerYear?: number;
}

/** What {@link topkExcess} reports. */
export interface TopkResult {
  k: number;
  days: number;
  /** Mean daily return of the top-k book minus the equal-weight book, x periodsPerYear. */
  annExcess: number;
  /** Mean / std of the daily excess x sqrt(periodsPerYear). */
  ir: number;
  /** The same after costs. */
  annExcessNet: number;
  irNet: number;
  /** Mean daily fraction of the book replaced (one way). */
  turnover: number;
  /** Daily excess before costs, one per day (ascending dates). */
  daily: Float64Array;
  dates: string[];
}

function meanSd(v: ArrayLike<number>): [number, number] {
  const n = v.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i];
  const m = n ? s / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i] - m) ** 2;
  return [m, n > 1 ? Math.sqrt(ss / (n - 1)) : NaN];
}

/**
 * Daily top-k vs equal weight. `score`, `ret` (the return a position decided on that row's day earns) and
 * `ids` (a name per row, to measure turnover) align with `dates`; rows with a non-finite score or return are
 * left out, and days with no more than `k` such rows, or whose scores are all equal (no ranking: the top k
 * would be an accident of row order), are skipped. No day left: NaN figures.
 */
export function topkExcess(
  score: ArrayLike<number>,
  ret: ArrayLike<number>,
  dates: readonly string[],
  ids: readonly string[],
  opts: TopkOptions,
): TopkResult {
  const { k } = opts, py = opts.periodsPerYear ?? 252, cost = (opts.costBps ?? 0) / 1e4;
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be an integer >= 1, got ${k}`);
  const byDay = new Map<string, number[]>();
  for (let i = 0; i < dates.length; i++) {
    if (!Number.isFinite(score[i]) || !Number.isFinite(ret[i])) continue;
    let a = byDay.get(dates[i]);
    if (!a) byDay.set(dates[i], a = []);
    a.push(i);
  }
  const days = [...byDay.keys()].sort().filter((d) => {
    const idx = byDay.get(d)!;
    return idx.length > k && idx.some((i) => score[i] !== score[idx[0]]);
  });
  const daily = new Float64Array(days.length), net = new Float64Array(days.length);
  let prev = new Set<string>(), turn = 0;
  days.forEach((d, t) => {
    const idx = byDay.get(d)!;
    let all = 0;
    for (const i of idx) all += ret[i];
    const top = idx.slice().sort((a, b) => score[b] - score[a] || a - b).slice(0, k);
    let sum = 0;
    const held = new Set<string>();
    for (const i of top) (sum += ret[i], held.add(ids[i]));
    let changed = 0;
    for (const s of held) if (!prev.has(s)) changed++;
    const tr = t === 0 ? 1 : changed / k; // the first day buys the whole book (charged both sides: its sale)
    turn += tr;
    daily[t] = sum / k - all / idx.length;
    net[t] = daily[t] - 2 * cost * tr; // sell the leavers, buy the newcomers
    prev = held;
  });
  const [m, sd] = meanSd(daily), [mn, sdn] = meanSd(net);
  return {
    k,
    days: days.length,
    annExcess: m * py,
    ir: sd > 0 ? (m / sd) * Math.sqrt(py) : NaN,
    annExcessNet: mn * py,
    irNet: sdn > 0 ? (mn / sdn) * Math.sqrt(py) : NaN,
    turnover: days.length ? turn / days.length : NaN,
    daily,
    dates: days,
  };
}
