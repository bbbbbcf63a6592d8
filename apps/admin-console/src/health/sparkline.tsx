export interface LatencySample {
  latencyMs: number;
  up: boolean;
}

const HEIGHT = 28;

/** Recent latency of one component; a red dot where a check found it down. */
export function Sparkline({ samples, width }: { samples: LatencySample[]; width: number }) {
  const max = Math.max(1, ...samples.map((s) => s.latencyMs));
  const y = (v: number) => (HEIGHT - 2 - (v / max) * (HEIGHT - 4)).toFixed(1);
  return (
    <svg className="spark" viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={`latency, max ${max} ms over the last ${samples.length} checks`}>
      <polyline points={samples.map((s, i) => `${i},${y(s.latencyMs)}`).join(' ')} />
      {samples.map((s, i) => (s.up ? null : <circle key={i} className="down" cx={i} cy={y(s.latencyMs)} r={1.5} />))}
    </svg>
  );
}
