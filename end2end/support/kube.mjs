// A tiny Kubernetes client for the browser tests (node's https with the
// kubeconfig's client certificate), and a fake kubelet: no node runs in the
// test cluster, so this sets pod status the way a kubelet would, or leaves
// pods pending or crash-looping on purpose.
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

/// What `backup.sh backup` would write to its termination log: the fake
/// kubelet plays the script too, naming a dump under the tenant's prefix.
function dumpReport(c) {
  if (c.command?.at(-1) !== 'backup') return undefined;
  const env = (k) => c.env?.find((e) => e.name === k)?.value;
  const dest = env('BACKUP_DESTINATION') ?? '';
  const rest = dest.replace(/^s3:\/\//, '');
  const prefix = rest.includes('/') ? rest.slice(rest.indexOf('/') + 1).replace(/^\/+|\/+$/g, '') + '/' : '';
  const stamp = Date.now();
  return JSON.stringify({ key: `${prefix}${env('BACKUP_TENANT')}/${stamp}-fake.dump`, size: 8192,
    sha256: stamp.toString(16).padStart(64, '0') });
}

export function statusFor(pod, fate) {
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
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t, message: dumpReport(c) } } }],
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
          const status = statusFor(pod, fate(pod));
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
