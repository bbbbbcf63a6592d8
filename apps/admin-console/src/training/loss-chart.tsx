import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { LossPoint } from '../api/training';

/**
 * Training and validation loss by step. The points are the trainer's `metrics` events as the
 * stream brings them; animation is off so that a new point is drawn at once.
 */
export function LossChart({ points, hasValidation }: { points: LossPoint[]; hasValidation: boolean }) {
  const last = points[points.length - 1];
  const summary = last
    ? `Loss curve over ${points.length} measurements; at step ${last.step} training loss ${last.trainLoss?.toFixed(3) ?? 'unknown'}${hasValidation ? `, validation loss ${last.validLoss?.toFixed(3) ?? 'not yet measured'}` : ''}.`
    : 'Loss curve: no measurement yet.';
  return (
    <figure className="chart-figure" data-points={points.length}>
      <div className="chart" role="img" aria-label={summary}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#dee2e6" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 12 }} />
            <YAxis tick={{ fontSize: 12 }} width={48} domain={['auto', 'auto']} tickFormatter={(v: number) => v.toFixed(2)} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} labelFormatter={(step) => `step ${step}`} />
            <Legend />
            <Line type="monotone" dataKey="trainLoss" name="training loss" stroke="#1c7ed6" strokeWidth={2} dot={{ r: 2 }} isAnimationActive={false} connectNulls />
            {hasValidation && <Line type="monotone" dataKey="validLoss" name="validation loss" stroke="#e8590c" strokeWidth={2} dot={{ r: 2 }} isAnimationActive={false} connectNulls />}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="muted-note">{summary}</figcaption>
    </figure>
  );
}
