/**
 * Small dense linear algebra for normal equations (folder-private).
 * @module
 */
import { ModelError } from "../core/mod.ts";

/**
 * Solves the symmetric positive semi-definite system `A x = b` (k x k, row arrays; `A`, `b` untouched) by
 * Gaussian elimination with partial pivoting after equilibrating to a unit diagonal, so regressors of very
 * different scales (a constant next to variances of 1e-8) are handled alike. Throws `ModelError` when the
 * design is singular.
 */
export function solveNormal(A: ArrayLike<number>[], b: ArrayLike<number>, what = "least squares"): number[] {
  const n = b.length;
  const d = Array.from({ length: n }, (_, i) => (A[i][i] > 0 ? 1 / Math.sqrt(A[i][i]) : 0));
  if (d.some((v) => v === 0 || !Number.isFinite(v))) {
    throw new ModelError(`${what}: singular design (a regressor is all zero)`);
  }
  const M = Array.from({ length: n }, (_, i) => {
    const row = new Array(n + 1);
    for (let j = 0; j < n; j++) row[j] = A[i][j] * d[i] * d[j];
    row[n] = b[i] * d[i];
    return row;
  });
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    if (!(Math.abs(M[c][c]) > 1e-12)) {
      throw new ModelError(`${what}: singular design (collinear regressors?)`);
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      if (f === 0) continue;
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r, i) => (r[n] / r[i]) * d[i]);
}
