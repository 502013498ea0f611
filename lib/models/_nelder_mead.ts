/**
 * Nelder-Mead simplex minimizer (folder-private), for small unconstrained problems (constraints by transform).
 * @module
 */

/** Minimizes `f` from `x0`; returns the best point and value. */
export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  opts: { step?: number; maxIter?: number; tol?: number } = {},
): { x: number[]; value: number; iterations: number } {
  const n = x0.length, step = opts.step ?? 0.5, maxIter = opts.maxIter ?? 400 * n, tol = opts.tol ?? 1e-10;
  const val = (x: number[]) => {
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let simplex = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const x = x0.slice();
    x[i] += step;
    simplex.push(x);
  }
  let fs = simplex.map(val);
  let it = 0;
  for (; it < maxIter; it++) {
    const order = fs.map((_, i) => i).sort((a, b) => fs[a] - fs[b]);
    simplex = order.map((i) => simplex[i]);
    fs = order.map((i) => fs[i]);
    if (Math.abs(fs[n] - fs[0]) <= tol * (Math.abs(fs[0]) + 1e-12)) break;
    const c = new Array(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c[j] += simplex[i][j] / n;
    const at = (t: number) => c.map((cj, j) => cj + t * (simplex[n][j] - cj));
    const xr = at(-1), fr = val(xr);
    if (fr < fs[0]) {
      const xe = at(-2), fe = val(xe);
      if (fe < fr) {
        simplex[n] = xe;
        fs[n] = fe;
      } else {
        simplex[n] = xr;
        fs[n] = fr;
      }
    } else if (fr < fs[n - 1]) {
      simplex[n] = xr;
      fs[n] = fr;
    } else {
      const xc = fr < fs[n] ? at(-0.5) : at(0.5), fc = val(xc);
      if (fc < Math.min(fr, fs[n])) {
        simplex[n] = xc;
        fs[n] = fc;
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
          fs[i] = val(simplex[i]);
        }
      }
    }
  }
  let b = 0;
  for (let i = 1; i <= n; i++) if (fs[i] < fs[b]) b = i;
  return { x: simplex[b], value: fs[b], iterations: it };
}
