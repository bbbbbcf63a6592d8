import { Alert, Button, Checkbox, Group, NativeSelect, Paper, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { datasetsKey, type CleaningBody, type RecipeStep } from '../api/datasets';
import { useSignedIn } from '../session/session-context';
import { StepsTable } from './recipe-tables';

type PiiMode = 'mask' | 'remove' | 'hash';

/** Runs the chosen cleaning passes over the records not rejected and shows what each one did. */
export function CleaningPanel({ datasetId, steps, canWrite }: { datasetId: string; steps: RecipeStep[]; canWrite: boolean }) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const [exactDedup, setExactDedup] = useState(true);
  const [nearDedup, setNearDedup] = useState(true);
  const [pii, setPii] = useState(true);
  const [piiMode, setPiiMode] = useState<PiiMode>('mask');
  const run = useMutation({
    mutationFn: () => {
      const body: Partial<CleaningBody> = { exactDedup };
      if (nearDedup) body.nearDedup = {};
      if (pii) body.pii = { mode: piiMode };
      return api.post<{ steps: RecipeStep[] }>(`/api/datasets/${encodeURIComponent(datasetId)}/cleaning`, body);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: [...datasetsKey, datasetId] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    run.mutate();
  };
  const nothing = !exactDedup && !nearDedup && !pii;

  return (
    <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="cleaning-title">
      <Title order={2} size="h4" mb="sm" id="cleaning-title">
        Cleaning
      </Title>
      {canWrite && (
        <form aria-label="Clean records" onSubmit={submit}>
          {run.isError && (
            <Alert color="red" role="alert" mb="sm">
              {run.error.message}
            </Alert>
          )}
          <Group align="end" wrap="wrap" mb="sm">
            <Checkbox label="Exact duplicates" checked={exactDedup} onChange={(e) => setExactDedup(e.currentTarget.checked)} />
            <Checkbox label="Near duplicates (MinHash)" checked={nearDedup} onChange={(e) => setNearDedup(e.currentTarget.checked)} />
            <Checkbox label="Personal data" checked={pii} onChange={(e) => setPii(e.currentTarget.checked)} />
            <NativeSelect
              label="Personal data is"
              disabled={!pii}
              data={[
                { value: 'mask', label: 'masked' },
                { value: 'remove', label: 'removed' },
                { value: 'hash', label: 'hashed' },
              ]}
              value={piiMode}
              onChange={(e) => setPiiMode(e.currentTarget.value as PiiMode)}
            />
            <Button type="submit" loading={run.isPending} disabled={nothing}>
              Run cleaning
            </Button>
          </Group>
        </form>
      )}
      {run.data && (
        <div data-cleaning-result>
          <Text size="sm" fw={600} mb={4}>
            This run: {run.data.steps[0]?.before ?? 0} records before, {run.data.steps[run.data.steps.length - 1]?.after ?? 0} after
          </Text>
          <StepsTable steps={run.data.steps} label="cleaning result" />
        </div>
      )}
      <Text size="sm" fw={600} mt="sm" mb={4}>
        Every pass so far
      </Text>
      <StepsTable steps={steps} label="cleaning passes" />
    </Paper>
  );
}
