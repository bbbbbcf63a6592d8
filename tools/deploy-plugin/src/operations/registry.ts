import type { Sh } from '../process/runner';

/**
 * An image registry (`host[:port][/path]`) that carries images from the engine that built them to
 * the engines that run them. Images are pushed with their git-SHA tag and pulled pinned to the
 * digest the registry reported, so a re-push of the same tag cannot change what a stage runs.
 */
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._/-][a-z0-9]+)*)?$/;

/** The registry option, else $LLMP_REGISTRY, validated (pure). */
export function normalizeRegistry(option: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  let value = (option ?? env['LLMP_REGISTRY'] ?? '').trim();
  while (value.endsWith('/')) value = value.slice(0, -1);
  if (!value) return undefined;
  if (!REGISTRY.test(value)) throw new Error(`registry "${value}" is not host[:port][/path] (e.g. 127.0.0.1:5000 or registry.internal/llmp)`);
  return value;
}

/** `llmp/api-gateway:abc` in registry `127.0.0.1:5000` → `127.0.0.1:5000/llmp/api-gateway:abc` (pure). */
export function remoteRef(registry: string, ref: string): string {
  return `${registry}/${ref}`;
}

/** The digest `docker push` reports on its last line (pure). */
export function parsePushDigest(output: string): string | undefined {
  return output.match(/digest: (sha256:[0-9a-f]{64})/)?.[1];
}

/** `repo:tag` + digest → `repo:tag@sha256:…`: the tag stays readable, the digest decides (pure). */
export function pinned(ref: string, digest: string): string {
  return `${ref.split('@')[0]}@${digest}`;
}

/** Pushes `ref` as `<registry>/<ref>`; pushing an unchanged image again uploads nothing and reports the same digest. */
export async function pushImage(sh: Sh, registry: string, ref: string): Promise<string> {
  const remote = remoteRef(registry, ref);
  await sh('docker', ['tag', ref, remote]);
  const r = await sh('docker', ['push', remote], {
    timeoutMs: 30 * 60_000,
    hint: `pushing to ${registry} failed: is it reachable from this engine (a registry on 127.0.0.1 is allowed without TLS; others need TLS or the engine's insecure-registries)?`,
  });
  const digest = parsePushDigest(r.stdout + r.stderr) ?? (await repoDigest(sh, remote));
  if (!digest) throw new Error(`docker push ${remote} reported no digest`);
  return pinned(remote, digest);
}

/** The registry digest of a local image reference, if it came from (or went to) a registry. */
export async function repoDigest(sh: Sh, remote: string): Promise<string | undefined> {
  const repo = remote.split('@')[0].replace(/:[^:/]+$/, '');
  const r = await sh('docker', ['image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', remote], { allowFailure: true });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith(`${repo}@`))
    ?.slice(repo.length + 1);
}

/** Pulls a `repo:tag[@digest]` from the registry and returns it pinned to its digest. */
export async function pullImage(sh: Sh, remote: string): Promise<string> {
  await sh('docker', ['pull', '--quiet', remote], {
    timeoutMs: 30 * 60_000,
    hint: `${remote} is not in the registry: the Build job (npx nx run-many -t docker-build with LLMP_REGISTRY set) pushes it`,
  });
  const digest = remote.includes('@') ? remote.split('@')[1] : await repoDigest(sh, remote);
  if (!digest) throw new Error(`${remote} was pulled but has no registry digest`);
  return pinned(remote, digest);
}
