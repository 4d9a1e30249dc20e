// What the side-by-side benchmarks share: run the same measurement in fresh child processes, ours and the peer's
// alternately (ours first in odd rounds, the peer first in even ones), and summarise each figure's ratio per round.
import { fork } from 'node:child_process';

export type Figures = Record<string, number>;

/**
 * What a child process of a benchmark needs to load the benchmark's own file: tsx when it runs from source, nothing
 * when it runs compiled (compiled.mjs bundles it, and this module with it, into one .mjs).
 */
export const loader: string[] = import.meta.url.endsWith('.ts') ? ['--import=tsx'] : [];

/** Forks `file` with args and resolves with the one message (its figures) the child sends before it exits. */
export function runChild(file: string, args: string[], execArgv: string[] = []): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = fork(file, args, { execArgv: [...loader, ...execArgv] });
    let figures: Figures | undefined;
    child.on('message', (m: Figures) => (figures = m));
    child.on('error', reject);
    child.on('exit', (code) =>
      figures ? resolve(figures) : reject(new Error(`${file} ${args.join(' ')} exited ${code}`)),
    );
  });
}

export interface Round {
  ours: Figures;
  peer: Figures;
}

export async function interleave(
  rounds: number,
  run: (side: 'ours' | 'peer') => Promise<Figures>,
): Promise<Round[]> {
  const out: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const order: Array<'ours' | 'peer'> = r % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
    const got: Partial<Record<'ours' | 'peer', Figures>> = {};
    for (const side of order) got[side] = await run(side);
    out.push({ ours: got.ours!, peer: got.peer! });
    console.error(
      `round ${r + 1}/${rounds}: ours ${JSON.stringify(got.ours)} peer ${JSON.stringify(got.peer)}`,
    );
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/**
 * A markdown table: each figure's min/median/max for ours and the peer, and of the per-round ratio ours ÷ peer
 * (above 1 means ours is larger: better for throughput, worse for memory and latency).
 */
export function ratioTable(
  rounds: Round[],
  figures: Array<[key: string, label: string, digits: number]>,
): string {
  const lines = [
    `| figure (${rounds.length} interleaved rounds) | ours min / median / max | peer min / median / max | ratio ours ÷ peer min / median / max |`,
    '|---|---:|---:|---:|',
  ];
  const mmm = (xs: number[], d: number) =>
    `${fmt(Math.min(...xs), d)} / ${fmt(median(xs), d)} / ${fmt(Math.max(...xs), d)}`;
  for (const [key, label, digits] of figures) {
    const ours = rounds.map((r) => r.ours[key]);
    const peer = rounds.map((r) => r.peer[key]);
    const ratio = rounds.map((r) => r.ours[key] / r.peer[key]);
    lines.push(`| ${label} | ${mmm(ours, digits)} | ${mmm(peer, digits)} | ${mmm(ratio, 2)} |`);
  }
  return lines.join('\n');
}
