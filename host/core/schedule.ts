// Learning-rate schedules: constant, or linear warm-up then cosine decay to a floor.
// Pure arithmetic on the step index, so a resumed run gets the same rate at the same step.

export interface Schedule {
  kind: "constant" | "cosine";
  /** Peak (and constant) learning rate. */
  lr: number;
  /** Steps of linear warm-up from lr/warmup to lr (cosine only). */
  warmup: number;
  /** Total steps of the run: the cosine reaches `minLr` there. */
  total: number;
  minLr: number;
}

/** The learning rate for step `step` (0-based). */
export function lrAt(s: Schedule, step: number): number {
  if (s.kind === "constant") return s.lr;
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  const span = Math.max(1, s.total - s.warmup);
  const t = Math.min(1, (step - s.warmup) / span);
  return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * t));
}
