/** Why a client-supplied file name cannot be kept, or null when it is a clean bare name. */
export function filenameProblem(name: string): string | null {
  if (!name.trim()) return 'the file name is empty';
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'the file name contains control characters';
  if (/[\u202a-\u202e\u2066-\u2069\u200e\u200f]/.test(name)) return 'the file name contains invisible text-direction characters';
  if (/[/\\]/.test(name) || name === '.' || name === '..') return 'the file name must be a bare name, without a path';
  if (Buffer.byteLength(name, 'utf8') > 255) return 'the file name is longer than 255 bytes';
  return null;
}

/** The title a document starts with, before its parser finds a better one. */
export function titleFromFilename(name: string): string {
  const base = name.replace(/\.[A-Za-z0-9]{1,8}$/, '').replace(/[_]+/g, ' ').trim();
  return base || name;
}
