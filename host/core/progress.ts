// Progress reporting as an interface: training and evaluation take a ProgressFactory, so they stay
// free of Node (the CLI draws bars on stderr, host/node/progress.ts; the page's Worker posts messages).

export interface ProgressSink {
  update(done: number, extra?: string): void;
  done(summary: string): void;
}

/** Where a phase sits in a longer run: the ETA covers the whole run, the rate only this session's work. */
export interface ProgressSpan {
  /** Items of this phase done before it started (a resumed epoch): counted in `done`, not in the rate. */
  start?: number;
  /** Items of the run after this phase (later epochs): counted in the ETA. */
  after?: number;
}

/** Makes a progress reporter for a phase of `total` images (`done` in update counts from 0 to total). */
export type ProgressFactory = (label: string, total: number, span?: ProgressSpan) => ProgressSink;

export const SILENT: ProgressFactory = () => ({ update() {}, done() {} });
