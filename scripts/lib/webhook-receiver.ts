// The receivers of the local stack's Alertmanager: one small HTTP server whose paths name the
// receivers (/page, /ticket). It keeps the real notification payloads Alertmanager posts
// (webhook format version 4) and prints each one the way a pager would show it; GET
// /notifications returns what it kept, so `make drill` and the tests can read them.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Alertmanager's webhook payload (version 4), the parts shown and checked. */
export interface WebhookPayload {
  version: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    fingerprint: string;
  }[];
}

export interface Notification {
  /** The receiver, from the path the webhook posted to. */
  receiver: string;
  receivedAt: string;
  payload: WebhookPayload;
}

/** Kept notifications; the oldest go first past this many. */
export const MAX_NOTIFICATIONS = 500;
/** Largest payload accepted (Alertmanager's hold tens of alerts, a few KiB each). */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface WebhookReceiver {
  url: string;
  port: number;
  notifications: Notification[];
  stop(): Promise<void>;
}

/** The lines a pager would show for one notification. */
export function formatNotification({ receiver, receivedAt, payload }: Notification): string {
  const lines = [
    `[${receiver}] ${payload.status.toUpperCase()} ${payload.groupLabels.alertname ?? ''} (${payload.alerts.length} alert(s), ${receivedAt})`,
  ];
  for (const alert of payload.alerts) {
    const labels = Object.entries(alert.labels)
      .filter(([name]) => name !== 'alertname')
      .map(([name, value]) => `${name}="${value}"`)
      .join(', ');
    lines.push(`  ${alert.status} {${labels}}`);
    for (const name of ['summary', 'description', 'runbook_url', 'dashboard_url']) {
      if (alert.annotations[name]) lines.push(`    ${name}: ${alert.annotations[name]}`);
    }
  }
  return lines.join('\n');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        reject(new Error(`payload larger than ${MAX_PAYLOAD_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isPayload(value: unknown): value is WebhookPayload {
  const payload = value as WebhookPayload;
  return (
    typeof payload === 'object' &&
    payload !== null &&
    (payload.status === 'firing' || payload.status === 'resolved') &&
    Array.isArray(payload.alerts) &&
    payload.alerts.every((a) => typeof a === 'object' && a !== null && typeof a.labels === 'object' && typeof a.annotations === 'object')
  );
}

export async function startWebhookReceiver(
  options: { host?: string; port?: number; print?: (text: string) => void } = {},
): Promise<WebhookReceiver> {
  const notifications: Notification[] = [];
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    if (req.method === 'GET' && path === '/notifications') return send(200, notifications);
    const receiver = /^\/([A-Za-z0-9_.-]+)$/.exec(path)?.[1];
    if (req.method !== 'POST' || !receiver) return send(404, { error: 'POST /<receiver> (webhook) or GET /notifications' });
    readBody(req).then(
      (text) => {
        let payload: unknown;
        try {
          payload = JSON.parse(text);
        } catch {
          return send(400, { error: 'body is not JSON' });
        }
        if (!isPayload(payload)) return send(400, { error: 'not an Alertmanager webhook payload (status, alerts[])' });
        const notification = { receiver, receivedAt: new Date().toISOString(), payload };
        if (notifications.push(notification) > MAX_NOTIFICATIONS) notifications.shift();
        options.print?.(formatNotification(notification));
        send(200, { ok: true });
      },
      (error: Error) => send(413, { error: error.message }),
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    notifications,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The notifications a receiver (this process' or make local's) has kept. */
export async function fetchNotifications(receiverUrl: string): Promise<Notification[]> {
  const response = await fetch(`${receiverUrl.replace(/\/+$/, '')}/notifications`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`receiver ${receiverUrl}: HTTP ${response.status}`);
  return (await response.json()) as Notification[];
}
