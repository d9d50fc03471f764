// SIGINT / SIGTERM during training: a flag the training loop checks between batches, so it can
// write a checkpoint and exit 130 / 143.

export const STOP_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_CODES;

export interface StopSignals {
  readonly signal: StopSignal | undefined;
  /** Back to the default (terminate at once): once training is over the checkpoint is final. */
  dispose(): void;
}

export function catchStopSignals(): StopSignals {
  let got: StopSignal | undefined;
  const handlers = (Object.keys(STOP_CODES) as StopSignal[]).map((sig) => {
    const h = () => {
      got ??= sig;
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    get signal() {
      return got;
    },
    dispose() {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}
