/**
 * The console's one way to the public API: the same endpoints and bearer token a curl user has.
 * A 401 on an authenticated call means the session ended (expired, logged out elsewhere, reset):
 * the client reports it once so that the console can ask the user to log in again.
 */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
  requestId?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;

  constructor({ status, code, message, details }: { status: number; code: string; message: string; details?: unknown }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface ApiClientOptions {
  token: () => string | null;
  onUnauthorized: () => void;
}

export interface UploadOptions {
  onProgress: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  delete(path: string): Promise<void>;
  /** Sends one file as multipart/form-data, reporting upload progress (fetch cannot). */
  upload<T>(path: string, file: File, options: UploadOptions): Promise<T>;
}

function errorOf(status: number, statusText: string, body: unknown): ApiError {
  const parsed = body as Partial<ApiErrorBody> | null;
  if (parsed && typeof parsed === 'object' && parsed.error && typeof parsed.error.message === 'string') {
    return new ApiError({ status, code: parsed.error.code ?? 'error', message: parsed.error.message, details: parsed.error.details });
  }
  return new ApiError({ status, code: 'http_error', message: `${status} ${statusText || 'request failed'}` });
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function createApiClient({ token, onUnauthorized }: ApiClientOptions): ApiClient {
  const authorization = (): Record<string, string> => {
    const current = token();
    return current ? { authorization: `Bearer ${current}` } : {};
  };

  async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...authorization() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const payload = parseJson(await res.text());
    if (res.status === 401 && headers.authorization) onUnauthorized();
    if (!res.ok) throw errorOf(res.status, res.statusText, payload);
    return payload as T;
  }

  return {
    get: (path) => send('GET', path),
    post: (path, body) => send('POST', path, body),
    patch: (path, body) => send('PATCH', path, body),
    put: (path, body) => send('PUT', path, body),
    delete: async (path) => {
      await send('DELETE', path);
    },
    upload<T>(path: string, file: File, { onProgress, signal }: UploadOptions): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', path);
        for (const [name, value] of Object.entries({ accept: 'application/json', ...authorization() })) xhr.setRequestHeader(name, value);
        xhr.upload.onprogress = (event) => {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        };
        xhr.onload = () => {
          const payload = parseJson(xhr.responseText);
          if (xhr.status === 401) onUnauthorized();
          if (xhr.status >= 200 && xhr.status < 300) {
            onProgress(1);
            resolve(payload as T);
          } else reject(errorOf(xhr.status, xhr.statusText, payload));
        };
        xhr.onerror = () => reject(new ApiError({ status: 0, code: 'network_error', message: `the upload of ${file.name} was interrupted` }));
        xhr.onabort = () => reject(new ApiError({ status: 0, code: 'aborted', message: `the upload of ${file.name} was cancelled` }));
        signal?.addEventListener('abort', () => xhr.abort(), { once: true });
        const form = new FormData();
        form.append('file', file, file.name);
        xhr.send(form);
      });
    },
  };
}
