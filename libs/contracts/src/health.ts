import { z } from 'zod';

export const checkStatusSchema = z.enum(['up', 'down']);

export const dependencyCheckSchema = z.object({
  status: checkStatusSchema,
  latencyMs: z.number(),
  error: z.string().optional(),
  /** Set when the dependency is itself a service reporting its own checks. */
  checks: z.record(z.string(), z.object({ status: checkStatusSchema, latencyMs: z.number(), error: z.string().optional() })).optional(),
});

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  service: z.string(),
  version: z.string(),
  uptimeSeconds: z.number(),
  checks: z.record(z.string(), dependencyCheckSchema),
});
export type Health = z.infer<typeof healthSchema>;
export type DependencyCheck = z.infer<typeof dependencyCheckSchema>;
