/// <reference lib="dom" />
// The manager page's wallboard (issue 14.10): cards with the newest figures and four uPlot charts of the last hour
// (agents by state; calls per minute and customers waiting; occupancy; abandon rate against the 3% line), fed by
// the console's last hour at (re)connection and by /topic/wallboard/{project} live. Below, the abandon-rate report
// (24 h and 30 days, project and tasks), refreshed every minute.
import uPlot from 'uplot';
import { byId, h } from '../shared/dom.js';
import { clockText } from '../shared/labels.js';
import {
  axisTicks,
  axisTimeText,
  lastHour,
  percentText,
  toSeries,
  type WallboardSample,
} from '../shared/wallboard-data.js';

interface Figures {
  liveAnswers: number;
  abandoned: number;
  abandonRate: number;
  overCap: boolean;
}
type Windows = { last24h: Figures; last30d: Figures };
export interface AbandonReport {
  cap: number;
  project: Windows;
  tasks: { callTaskCode: string; abandonTarget: number; windows: Windows }[];
}

const COLORS = {
  idle: '#16a34a',
  talking: '#2563eb',
  notAvailable: '#d97706',
  offline: '#94a3b8',
  cap: '#dc2626',
};

function chart(id: string, series: uPlot.Series[], yLabel: string, max?: number): uPlot {
  const el = byId(id);
  const opts: uPlot.Options = {
    width: Math.max(280, el.clientWidth || 480),
    height: 170,
    legend: { show: true },
    cursor: { show: true },
    scales: {
      x: { time: true },
      y: max === undefined ? { range: (_u, _min, hi) => [0, Math.max(1, hi)] } : { range: [0, max] },
    },
    // Times as the page's readers write them (24 h, 月日), not uPlot's US defaults.
    // The ticks are drawn on a canvas; data-x-ticks says them in the DOM too (tests read them there).
    axes: [
      {
        values: (_u, splits) => {
          const ticks = axisTicks(splits);
          el.dataset.xTicks = ticks.join(' | ');
          return ticks;
        },
      },
      { label: yLabel, size: 50 },
    ],
    series: [{ label: '时间 time', value: (_u, v) => (v === null ? '—' : axisTimeText(v, true)) }, ...series],
  };
  return new uPlot(opts, [[], ...series.map(() => [])], el);
}

const line = (label: string, stroke: string, extra: Partial<uPlot.Series> = {}): uPlot.Series => ({
  label,
  stroke,
  width: 2,
  points: { show: false },
  ...extra,
});

export class WallboardView {
  private samples: WallboardSample[] = [];
  private readonly agents: uPlot;
  private readonly calls: uPlot;
  private readonly occupancy: uPlot;
  private readonly abandon: uPlot;

  constructor() {
    this.agents = chart(
      'chartAgents',
      [
        line('空闲 idle', COLORS.idle),
        line('通话 talking', COLORS.talking),
        line('忙碌 not available', COLORS.notAvailable),
        line('离线 offline', COLORS.offline),
      ],
      'agents',
    );
    this.calls = chart(
      'chartCalls',
      [line('呼叫/分 calls/min', COLORS.talking), line('等待 waiting', COLORS.notAvailable)],
      'count',
    );
    this.occupancy = chart(
      'chartOccupancy',
      [line('利用率 occupancy %', COLORS.idle, { fill: '#16a34a22' })],
      '%',
      100,
    );
    this.abandon = chart(
      'chartAbandon',
      [
        line('放弃率 abandon %', COLORS.talking, { spanGaps: true }),
        line('3% 上限 cap', COLORS.cap, { dash: [6, 4] }),
      ],
      '%',
    );
  }

  /** The last hour as the server kept it (at (re)connection). */
  reset(samples: readonly WallboardSample[]): void {
    this.samples = lastHour([...this.samples, ...samples]);
    this.draw();
  }

  push(sample: WallboardSample): void {
    this.samples = lastHour(this.samples, sample);
    this.draw();
  }

  get count(): number {
    return this.samples.length;
  }

  private draw(): void {
    const s = toSeries(this.samples);
    this.agents.setData([s.x, s.idle, s.talking, s.notAvailable, s.offline]);
    this.calls.setData([s.x, s.callsPerMinute, s.waiting]);
    this.occupancy.setData([s.x, s.occupancy]);
    this.abandon.setData([s.x, s.abandon, s.cap]);
    const last = this.samples.at(-1);
    if (!last) return;
    byId('wbWaiting').textContent = String(last.waiting);
    byId('wbCalls').textContent = String(last.callsPerMinute);
    byId('wbOccupancy').textContent = percentText(last.occupancy);
    const abandon = byId('wbAbandon');
    abandon.textContent = percentText(last.abandonRate);
    abandon
      .closest('.card')
      ?.classList.toggle('over', last.abandonRate !== null && last.abandonRate > last.cap);
    byId('wbUpdated').textContent = `更新于 ${clockText(last.at)}`;
  }

  report(r: AbandonReport): void {
    const cells = (w: Windows) =>
      [w.last24h, w.last30d].flatMap((f) => [
        h('td', { class: 'num' }, String(f.liveAnswers)),
        h('td', { class: 'num' }, String(f.abandoned)),
        h(
          'td',
          { class: `num ${f.overCap ? 'bad' : ''}` },
          percentText(f.liveAnswers ? f.abandonRate : null),
        ),
      ]);
    byId('abandonTable')
      .querySelector('tbody')
      ?.replaceChildren(
        h(
          'tr',
          { 'data-scope': 'project' },
          h('td', { class: 'ext' }, '项目 project'),
          ...cells(r.project),
          h('td', { class: 'num' }, percentText(r.cap)),
        ),
        ...r.tasks.map((t) =>
          h(
            'tr',
            { 'data-scope': t.callTaskCode },
            h('td', { class: 'ext' }, t.callTaskCode),
            ...cells(t.windows),
            h('td', { class: 'num' }, percentText(t.abandonTarget)),
          ),
        ),
      );
  }
}
