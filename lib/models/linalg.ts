/**
 * Dense linear algebra for the small systems of this project (normal equations of a few regressors).
 * @module
 */
import { ModelError } from "../core/mod.ts";

/**
 * Solves `A x = b` for a small dense square system by Gauss-Jordan elimination with partial pivoting.
 * `ModelError` (naming `what`) when the system is singular.
 */
export function solveLinear(A: number[][], b: number[], what = "linear system"): number[] {
  const n = b.length;
  if (A.length !== n || A.some((r) => r.length !== n)) throw new RangeError(`${what}: A must be ${n} x ${n}`);
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    if (Math.abs(M[c][c]) < 1e-300) throw new ModelError(`${what}: singular design (constant regressors?)`);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}
