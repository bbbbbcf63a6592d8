import { Badge, Progress, Text } from '@mantine/core';
import { useId, useState, type DragEvent } from 'react';
import type { ApiError } from '../api/client';
import type { UploadResult } from '../api/ingestion';
import { useSignedIn } from '../session/session-context';

interface Upload {
  key: string;
  name: string;
  progress: number;
  state: 'uploading' | 'stored' | 'duplicate' | 'refused';
  message?: string;
}

/**
 * Drop files here (or pick them): each is sent in its own request so that each has its own
 * progress bar, and a refused file does not hold up the others.
 */
export function UploadZone({ knowledgeBaseId, onStored }: { knowledgeBaseId: string; onStored: () => void }) {
  const { api } = useSignedIn();
  const inputId = useId();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);

  const patch = (key: string, change: Partial<Upload>) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...change } : u)));

  async function send(file: File, key: string) {
    try {
      const result = await api.upload<UploadResult>(`/api/ingestion/knowledge-bases/${encodeURIComponent(knowledgeBaseId)}/documents`, file, {
        onProgress: (progress) => patch(key, { progress }),
      });
      const stored = result.documents[0];
      if (stored) patch(key, { state: stored.duplicate ? 'duplicate' : 'stored', progress: 1 });
      else patch(key, { state: 'refused', message: result.rejected[0]?.message ?? 'refused' });
      onStored();
    } catch (error) {
      patch(key, { state: 'refused', message: (error as ApiError).message });
    }
  }

  function add(files: FileList | null) {
    if (!files?.length) return;
    const batch = Array.from(files, (file) => ({ file, key: `${Date.now()}-${Math.random().toString(36).slice(2)}` }));
    setUploads((all) => [...batch.map(({ file, key }) => ({ key, name: file.name, progress: 0, state: 'uploading' as const })), ...all]);
    for (const { file, key } of batch) void send(file, key);
  }

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    add(event.dataTransfer.files);
  };

  return (
    <div>
      <div
        className="drop-zone"
        data-dragging={dragging || undefined}
        data-drop-zone
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor={inputId} className="drop-zone-label">
          <Text fw={600}>Drop files here, or choose files</Text>
          <Text size="sm" c="dimmed">
            PDF, DOCX, HTML, Markdown, text, CSV, JSON or JSONL
          </Text>
        </label>
        <input
          id={inputId}
          className="drop-zone-input"
          type="file"
          multiple
          onChange={(event) => {
            add(event.currentTarget.files);
            event.currentTarget.value = '';
          }}
        />
      </div>
      {uploads.length > 0 && (
        <ul className="uploads" aria-label="uploads">
          {uploads.map((u) => (
            <li key={u.key} data-upload={u.name} data-state={u.state}>
              <span className="upload-name">{u.name}</span>
              <Progress value={Math.round(u.progress * 100)} aria-label={`upload of ${u.name}`} color={u.state === 'refused' ? 'red' : undefined} className="upload-bar" />
              <Badge variant="light" color={u.state === 'refused' ? 'red' : u.state === 'uploading' ? 'blue' : 'green'}>
                {u.state === 'uploading' ? `${Math.round(u.progress * 100)}%` : u.state}
              </Badge>
              {u.message && (
                <Text size="sm" c="red" role="alert">
                  {u.message}
                </Text>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
