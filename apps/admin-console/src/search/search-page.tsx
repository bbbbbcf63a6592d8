import { Alert, Button, Checkbox, Group, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Citation, KnowledgeBase, SearchMode, SearchResponse } from '../api/ingestion';
import { useSignedIn } from '../session/session-context';

const EXCERPT = 600;

function where(citation: Citation): string {
  const parts: string[] = [];
  if (citation.page !== null) parts.push(citation.pageEnd && citation.pageEnd !== citation.page ? `pages ${citation.page}–${citation.pageEnd}` : `page ${citation.page}`);
  if (citation.headingPath.length) parts.push(citation.headingPath.join(' › '));
  parts.push(`characters ${citation.startOffset}–${citation.endOffset}`);
  return parts.join(' · ');
}

export function SearchPage() {
  const { api } = useSignedIn();
  const knowledgeBases = useQuery({ queryKey: ['knowledge-bases'], queryFn: () => api.get<{ data: KnowledgeBase[] }>('/api/ingestion/knowledge-bases') });
  const [selected, setSelected] = useState<string[] | null>(null);
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<SearchMode>('hybrid');
  const names = new Map(knowledgeBases.data?.data.map((kb) => [kb.id, kb.name]));
  // Until the user picks, search everything they may read.
  const chosen = selected ?? knowledgeBases.data?.data.map((kb) => kb.id) ?? [];
  const search = useMutation({
    mutationFn: () => api.post<SearchResponse>('/api/ingestion/search', { query, knowledgeBaseIds: chosen, mode }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    search.mutate();
  };

  return (
    <section aria-labelledby="search-title">
      <Title order={1} id="search-title" mb="md">
        Search playground
      </Title>
      <Paper component="form" aria-label="Search" onSubmit={submit} withBorder p="md" mb="lg">
        <Stack>
          <Checkbox.Group label="Knowledge bases" value={chosen} onChange={setSelected}>
            <Group mt="xs" wrap="wrap">
              {knowledgeBases.data?.data.map((kb) => <Checkbox key={kb.id} value={kb.id} label={kb.name} />)}
            </Group>
          </Checkbox.Group>
          {knowledgeBases.data?.data.length === 0 && <Text c="dimmed">There is no knowledge base you may read yet.</Text>}
          <Group align="end" wrap="wrap">
            <TextInput label="Question" required value={query} onChange={(e) => setQuery(e.currentTarget.value)} className="grow" />
            <NativeSelect
              label="Mode"
              data={[
                { value: 'hybrid', label: 'Hybrid' },
                { value: 'vector', label: 'Vector only' },
                { value: 'fulltext', label: 'Full text only' },
              ]}
              value={mode}
              onChange={(e) => setMode(e.currentTarget.value as SearchMode)}
            />
            <Button type="submit" loading={search.isPending} disabled={!chosen.length}>
              Search
            </Button>
          </Group>
        </Stack>
      </Paper>
      {search.isError && (
        <Alert color="red" role="alert">
          {search.error.message}
        </Alert>
      )}
      {search.data && (
        <section aria-label="results">
          <Text size="sm" c="dimmed" mb="sm">
            {search.data.results.length} results in {search.data.tookMs} ms ({search.data.mode})
          </Text>
          <ol className="results">
            {search.data.results.map((hit) => (
              <li key={hit.chunkId}>
                <Paper withBorder p="md" mb="sm" component="article">
                  <Text className="excerpt">{hit.text.length > EXCERPT ? `${hit.text.slice(0, EXCERPT)}…` : hit.text}</Text>
                  <cite className="citation">
                    <strong>{hit.citation.title}</strong> — {hit.citation.filename} ({names.get(hit.citation.knowledgeBaseId) ?? hit.citation.knowledgeBaseId}) · {where(hit.citation)}
                  </cite>
                  <Text size="xs" c="dimmed">
                    score {hit.score.toFixed(4)} · vector rank {hit.ranks.vector ?? '—'} · full-text rank {hit.ranks.fulltext ?? '—'}
                  </Text>
                </Paper>
              </li>
            ))}
          </ol>
        </section>
      )}
    </section>
  );
}
