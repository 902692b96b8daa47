// A codec endpoint for the Temporal Web UI (Settings > Codec Server): decodes the encrypted
// payloads of workflow histories in the operator's browser session, so the UI shows inputs and
// results while the server stores only ciphertext. Listen on loopback and reach it through an
// SSH tunnel or an authenticating proxy: whoever can call it can read payloads.
import { createServer } from 'node:http';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, readPayloadKey } from '../worker/payload-codec.js';

type JsonPayload = { metadata?: Record<string, string>; data?: string };

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export function startCodecServer(opts: { keyFile: string; port: number; allowOrigin: string }) {
  const codec = new AesGcmPayloadCodec(readPayloadKey(opts.keyFile));
  const server = createServer(async (req, res) => {
    const cors = {
      'access-control-allow-origin': opts.allowOrigin,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type, x-namespace',
      'access-control-allow-credentials': 'true',
    };
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    const action = req.url === '/encode' ? 'encode' : req.url === '/decode' ? 'decode' : undefined;
    if (req.method !== 'POST' || !action) return void res.writeHead(404, cors).end();
    try {
      let body = '';
      for await (const chunk of req) body += chunk;
      const { payloads } = JSON.parse(body) as { payloads: JsonPayload[] };
      const out = await codec[action](payloads.map(fromJson));
      res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
    } catch (err) {
      res.writeHead(400, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }));
    }
  });
  server.listen(opts.port, '127.0.0.1');
  return server;
}
