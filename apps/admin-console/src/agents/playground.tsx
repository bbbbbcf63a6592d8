import { Alert, Button, Group, NativeSelect, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { agentsKey, streamChat, type Agent, type AgentCitation, type AgentVersion } from '../api/agents';
import { useSignedIn } from '../session/session-context';

interface Turn {
  role: 'user' | 'assistant';
  content: string;
  citations?: AgentCitation[];
  model?: string;
}

function where(c: AgentCitation): string {
  const parts = [c.filename];
  if (c.page !== null) parts.push(c.pageEnd !== null && c.pageEnd !== c.page ? `pages ${c.page}–${c.pageEnd}` : `page ${c.page}`);
  if (c.heading) parts.push(c.heading);
  return parts.join(' · ');
}

function Citations({ citations }: { citations: AgentCitation[] }) {
  if (!citations.length) return null;
  return (
    <ol className="citations" aria-label="citations">
      {citations.map((c) => (
        <li key={c.index} data-citation={c.index}>
          <cite className="citation">
            [{c.index}] {c.title} — {where(c)}
          </cite>{' '}
          <Text span size="xs" c="dimmed">
            score {c.score.toFixed(3)}
          </Text>
        </li>
      ))}
    </ol>
  );
}

/** Chats with a published version as the signed-in user: no agent key in the browser. */
export function Playground({ agent, versions }: { agent: Agent; versions: AgentVersion[] }) {
  const { token, api } = useSignedIn();
  const queryClient = useQueryClient();
  const [turns, setTurns] = useState<Turn[]>([]);
  const [question, setQuestion] = useState('');
  const [version, setVersion] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);

  if (!agent.publishedVersion) {
    return (
      <Paper withBorder p="md" mb="lg" aria-label="Playground">
        <Title order={2} size="h4" mb="sm">
          Playground
        </Title>
        <Text c="dimmed">Publish the agent to try it here.</Text>
      </Paper>
    );
  }

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const content = question.trim();
    if (!content || busy) return;
    const history = [...turns, { role: 'user' as const, content }];
    setTurns([...history, { role: 'assistant', content: '' }]);
    setQuestion('');
    setError(null);
    setBusy(true);
    abort.current = new AbortController();
    try {
      const outcome = await streamChat({
        token,
        agentId: agent.id,
        input: { messages: history.map(({ role, content: text }) => ({ role, content: text })), version: version ? Number(version) : undefined },
        signal: abort.current.signal,
        // A refused session: an ordinary call lets the console end it and ask to log in again.
        onUnauthorized: () => void api.get('/api/auth/me').catch(() => undefined),
        onDelta: (delta) => setTurns((all) => all.map((t, i) => (i === all.length - 1 ? { ...t, content: t.content + delta } : t))),
      });
      setTurns((all) => all.map((t, i) => (i === all.length - 1 ? { ...t, citations: outcome.citations, model: outcome.model } : t)));
      await queryClient.invalidateQueries({ queryKey: [...agentsKey, 'usage'] });
    } catch (cause) {
      if (!abort.current.signal.aborted) setError((cause as Error).message);
      setTurns((all) => (all.at(-1)?.content ? all : all.slice(0, -1)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Paper withBorder p="md" mb="lg" aria-label="Playground">
      <Title order={2} size="h4" mb="sm">
        Playground
      </Title>
      <Stack gap="xs" mb="sm" aria-live="polite" className="chat-log">
        {turns.length === 0 && <Text c="dimmed">Ask a question; the answer streams in with the passages it cites.</Text>}
        {turns.map((turn, i) => (
          <div key={i} className={`chat-turn chat-${turn.role}`} data-turn={turn.role} data-done={turn.role === 'assistant' && turn.model ? 'true' : undefined}>
            <Text size="xs" fw={700}>
              {turn.role === 'user' ? 'You' : turn.model ? `${turn.model}` : 'Agent'}
            </Text>
            <Text style={{ whiteSpace: 'pre-wrap' }}>{turn.content || (busy && i === turns.length - 1 ? '…' : '')}</Text>
            {turn.citations && <Citations citations={turn.citations} />}
          </div>
        ))}
      </Stack>
      {error && (
        <Alert color="red" role="alert" mb="sm">
          {error}
        </Alert>
      )}
      <form aria-label="Chat" onSubmit={send}>
        <Textarea label="Message" autosize minRows={2} maxRows={6} value={question} onChange={(e) => setQuestion(e.currentTarget.value)} mb="xs" />
        <Group wrap="wrap" align="end">
          <NativeSelect
            label="Version"
            data={[{ value: '', label: `Served (v${agent.publishedVersion.number})` }, ...versions.map((v) => ({ value: String(v.number), label: `v${v.number}` }))]}
            value={version}
            onChange={(e) => setVersion(e.currentTarget.value)}
          />
          <Button type="submit" loading={busy}>
            Send
          </Button>
          {busy && (
            <Button variant="default" onClick={() => abort.current?.abort()}>
              Stop
            </Button>
          )}
          {turns.length > 0 && !busy && (
            <Button variant="subtle" onClick={() => setTurns([])}>
              Clear
            </Button>
          )}
        </Group>
      </form>
    </Paper>
  );
}
