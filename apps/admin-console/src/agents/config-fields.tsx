import { Checkbox, Group, NativeSelect, NumberInput, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { AgentConfig, AgentProvider } from '../api/agents';
import type { KnowledgeBase } from '../api/ingestion';
import { knowledgeBasesKey } from '../knowledge-bases/knowledge-bases-page';
import { useSignedIn } from '../session/session-context';

const PROVIDERS: Array<{ value: AgentProvider['kind']; label: string }> = [
  { value: 'extractive', label: 'Extractive (quotes passages, no model)' },
  { value: 'gguf', label: 'GGUF model (llama.cpp, in process)' },
  { value: 'openai', label: 'OpenAI-compatible upstream' },
];

function withProvider(config: AgentConfig, kind: AgentProvider['kind'], model: string): AgentConfig {
  return { ...config, provider: kind === 'extractive' ? { kind } : { kind, model } };
}

/** An agent's settings, as the create form and the draft editor both show them. */
export function ConfigFields({ value, onChange, disabled }: { value: AgentConfig; onChange: (next: AgentConfig) => void; disabled?: boolean }) {
  const { api } = useSignedIn();
  const knowledgeBases = useQuery({ queryKey: knowledgeBasesKey, queryFn: () => api.get<{ data: KnowledgeBase[] }>('/api/ingestion/knowledge-bases') });
  const model = value.provider.kind === 'extractive' ? '' : value.provider.model;
  const number = (raw: string | number, fallback: number) => (typeof raw === 'number' ? raw : Number.isFinite(Number(raw)) && raw !== '' ? Number(raw) : fallback);

  return (
    <Stack gap="sm">
      <Group align="end" wrap="wrap">
        <NativeSelect
          label="Provider"
          data={PROVIDERS}
          value={value.provider.kind}
          disabled={disabled}
          onChange={(e) => onChange(withProvider(value, e.currentTarget.value as AgentProvider['kind'], model))}
        />
        {value.provider.kind !== 'extractive' && (
          <TextInput
            label="Model"
            description={value.provider.kind === 'gguf' ? 'A trained model id (model_…) or a .gguf path' : 'The upstream model name'}
            required
            value={model}
            disabled={disabled}
            onChange={(e) => onChange(withProvider(value, value.provider.kind, e.currentTarget.value))}
          />
        )}
      </Group>
      <Textarea label="System prompt" autosize minRows={2} maxRows={8} maxLength={20_000} value={value.systemPrompt} disabled={disabled} onChange={(e) => onChange({ ...value, systemPrompt: e.currentTarget.value })} />
      <Checkbox.Group label="Knowledge bases" value={value.knowledgeBaseIds} onChange={(ids) => onChange({ ...value, knowledgeBaseIds: ids })}>
        <Group mt={4} wrap="wrap">
          {knowledgeBases.data?.data.map((kb) => <Checkbox key={kb.id} value={kb.id} label={kb.name} disabled={disabled} />)}
          {knowledgeBases.data?.data.length === 0 && <Text size="sm" c="dimmed">No knowledge base you may read.</Text>}
          {/* Ids the caller cannot list (another user's base) stay selected and visible. */}
          {value.knowledgeBaseIds
            .filter((id) => knowledgeBases.data && !knowledgeBases.data.data.some((kb) => kb.id === id))
            .map((id) => <Checkbox key={id} value={id} label={id} disabled={disabled} />)}
        </Group>
      </Checkbox.Group>
      <Group align="end" wrap="wrap">
        <NumberInput label="Passages (top k)" min={1} max={20} w={140} value={value.retrieval.topK} disabled={disabled} onChange={(v) => onChange({ ...value, retrieval: { ...value.retrieval, topK: number(v, 4) } })} />
        <NumberInput label="Context tokens" min={50} max={32_000} w={140} value={value.retrieval.maxContextTokens} disabled={disabled} onChange={(v) => onChange({ ...value, retrieval: { ...value.retrieval, maxContextTokens: number(v, 1500) } })} />
        <NumberInput label="Temperature" min={0} max={2} step={0.1} decimalScale={2} w={120} value={value.generation.temperature} disabled={disabled} onChange={(v) => onChange({ ...value, generation: { ...value.generation, temperature: number(v, 0.2) } })} />
        <NumberInput label="Top p" min={0.01} max={1} step={0.05} decimalScale={2} w={120} value={value.generation.topP} disabled={disabled} onChange={(v) => onChange({ ...value, generation: { ...value.generation, topP: number(v, 1) } })} />
        <NumberInput label="Max tokens" min={1} max={8192} w={120} value={value.generation.maxTokens} disabled={disabled} onChange={(v) => onChange({ ...value, generation: { ...value.generation, maxTokens: number(v, 256) } })} />
      </Group>
    </Stack>
  );
}
