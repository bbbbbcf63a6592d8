import { ApiError } from './client';

/**
 * Saves what an authenticated GET answers as a file. A plain link cannot carry the bearer token,
 * so the file is fetched with it and handed to the browser's download as a blob; the name is the
 * one the server gives in content-disposition.
 */
export async function saveDownload(path: string, token: string, fallbackName: string): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText || 'download failed'}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // The status line says enough when the body is not the API's JSON error.
    }
    throw new ApiError({ status: res.status, code: 'download_failed', message });
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the blob once the click's download has started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
