// A seeded random source, so a simulated day is reproducible from its seed (mulberry32: tiny, fast, and good
// enough for queueing experiments; not for anything secret).

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Normal with the given mean and standard deviation. */
  normal(mean: number, sd: number): number;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal(mean, sd) {
      if (sd <= 0) return mean;
      // Box-Muller; 1 - next() keeps the logarithm's argument in (0, 1].
      const u = 1 - next();
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}
