/** `document-ingestion` → `Dockerfile.document_ingestion` (pure; no imports, the plugin entry loads it on every nx command). */
export function dockerfileName(service: string): string {
  return `Dockerfile.${service.replace(/-/g, '_')}`;
}
