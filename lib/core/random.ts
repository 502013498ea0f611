/**
 * Seeded pseudo-random numbers shared by the whole project (fitting, evaluation, tests): mulberry32 uniforms,
 * Box-Muller normals and a Fisher-Yates shuffle. The streams are part of committed expectations (e.g. the
 * PhraseBank split regenerated from seed 42), so the algorithms must not change. Imports nothing.
 * @module
 */

/** A seeded uniform generator in [0, 1) (mulberry32; the seed is taken as an unsigned 32-bit integer). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One standard normal draw from two uniforms of `rand` (Box-Muller, cosine branch only). */
export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** A seeded standard normal generator (Box-Muller on mulberry32, both values of each pair used). */
export function normalRng(seed: number): () => number {
  const u = mulberry32(seed);
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    let a = u();
    while (a <= 1e-300) a = u();
    const b = u();
    const r = Math.sqrt(-2 * Math.log(a));
    spare = r * Math.sin(2 * Math.PI * b);
    return r * Math.cos(2 * Math.PI * b);
  };
}

/** In-place Fisher-Yates shuffle (from the last element down) with a seeded generator; returns `a`. */
export function shuffleInPlace<A extends { length: number; [i: number]: unknown }>(
  a: A,
  rand: () => number,
): A {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
