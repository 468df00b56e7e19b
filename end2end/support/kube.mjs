// A tiny Kubernetes client for the browser tests (node's https with the
// kubeconfig's client certificate), and a fake kubelet: no node runs in the
// test cluster, so this sets pod status the way a kubelet would, or leaves
// pods pending or crash-looping on purpose.
import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import fs from 'node:fs';

function field(text, name) {
  const m = text.match(new RegExp(`${name}:\\s*(\\S+)`));
  if (!m) throw new Error(`kubeconfig has no ${name}`);
  return m[1];
}

export function kubeFromConfig(path) {
  const text = fs.readFileSync(path, 'utf8');
  const b64 = (n) => Buffer.from(field(text, n), 'base64');
  const server = new URL(field(text, 'server'));
  const agent = new https.Agent({
    ca: b64('certificate-authority-data'),
    cert: b64('client-certificate-data'),
    key: b64('client-key-data'),
    keepAlive: true,
  });
  async function call(method, path, body, contentType = 'application/json') {
    return await new Promise((resolve, reject) => {
      const req = https.request({
        host: server.hostname, port: server.port, path, method, agent,
        headers: body ? { 'content-type': contentType } : {},
      }, (res) => {
        let data = '';
        res.on('data', (c) => { data += c; });
        res.on('end', () => {
          if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${data.slice(0, 300)}`));
          else resolve(data ? JSON.parse(data) : null);
        });
      });
      req.on('error', reject);
      if (body) req.write(JSON.stringify(body));
      req.end();
    });
  }
  return {
    call,
    pods: async () => (await call('GET', '/api/v1/pods?labelSelector=' +
      encodeURIComponent('app.kubernetes.io/managed-by=tenantry'))).items,
    patchPodStatus: (ns, name, status) => call('PATCH',
      `/api/v1/namespaces/${ns}/pods/${name}/status`, { status }, 'application/merge-patch+json'),
  };
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const cond = (type, ok) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: now() });

/// The fake kubelet plays `backup.sh` too: a backup pod PUTs a made-up
/// dump to the presigned URL its Job was given, and reports it as the
/// script's termination log would; a restore pod GETs its dump. Answers
/// the termination message (undefined when nothing is to be said).
export async function playScript(c) {
  const mode = c.command?.at(-1);
  const env = (k) => c.env?.find((e) => e.name === k)?.value ?? '';
  if (mode === 'backup') {
    const body = randomBytes(8192);
    const headers = env('BACKUP_SSE') ? { 'x-amz-server-side-encryption': env('BACKUP_SSE') } : {};
    const res = await fetch(env('BACKUP_URL'), { method: 'PUT', body, headers });
    if (!res.ok) return `backup: upload of ${env('BACKUP_KEY')} failed: HTTP ${res.status}`;
    return JSON.stringify({ key: env('BACKUP_KEY'), size: body.length,
      sha256: createHash('sha256').update(body).digest('hex') });
  }
  if (mode === 'restore') {
    const res = await fetch(env('BACKUP_URL'));
    return res.ok ? undefined : `backup: download of ${env('BACKUP_KEY')} failed: HTTP ${res.status}`;
  }
  return undefined;
}

export function statusFor(pod, fate, message) {
  const c = pod.spec.containers[0];
  const base = { name: c.name, image: c.image, imageID: '' };
  const t = now();
  switch (fate) {
    case 'ready': return {
      phase: 'Running', startTime: t,
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', true), cond('Ready', true)],
      containerStatuses: [{ ...base, ready: true, restartCount: 0, started: true, state: { running: { startedAt: t } } }],
    };
    case 'succeeded': return {
      phase: 'Succeeded', startTime: t,
      conditions: [cond('PodScheduled', true), cond('Ready', false)],
      containerStatuses: [{ ...base, ready: false, restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t, message } } }],
    };
    case 'crash': return {
      phase: 'Running', startTime: t,
      conditions: [cond('PodScheduled', true), cond('ContainersReady', false), cond('Ready', false)],
      containerStatuses: [{ ...base, ready: false, restartCount: 4, started: false,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' } } }],
    };
    default: return null;
  }
}

export const component = (pod) => pod.metadata.labels?.['app.kubernetes.io/component'] ?? '';
export const tenantOf = (pod) => pod.metadata.labels?.['tenantry.io/tenant'] ?? '';

/// Settles every new Tenantry pod as `fate(pod)` says ('ready', 'crash',
/// 'succeeded' or 'pending'), twice a second, until stopped.
export function startFakeKubelet(kube, fate) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const pod of await kube.pods()) {
          if (pod.metadata.deletionTimestamp || pod.status?.containerStatuses?.length) continue;
          const f = fate(pod);
          const message = f === 'succeeded' ? await playScript(pod.spec.containers[0]) : undefined;
          const status = statusFor(pod, f, message);
          if (status) {
            await kube.patchPodStatus(pod.metadata.namespace, pod.metadata.name, status).catch(() => {});
          }
        }
      } catch { /* the API server may be busy; try again */ }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return { stop: async () => { stopped = true; await loop; } };
}
