// Progress reporting as an interface: training and evaluation take a ProgressFactory, so they stay
// free of Node (the CLI draws bars on stderr, host/node/progress.ts; the page's Worker posts messages).

export interface ProgressSink {
  update(done: number, extra?: string): void;
  done(summary: string): void;
}

/** Makes a progress reporter for a phase of `total` images. */
export type ProgressFactory = (label: string, total: number) => ProgressSink;

export const SILENT: ProgressFactory = () => ({ update() {}, done() {} });
