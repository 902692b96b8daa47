// Encrypts every workflow payload (inputs, results, signals, queries, memos, failures' details)
// with AES-256-GCM before it leaves the process, so Temporal's history holds ciphertext only.
// The same key file must be on every worker and client (config temporal.payloadKeyFile); the
// key id in each payload's metadata names which key sealed it, so a wrong key fails clearly.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { ConfigError } from '../config/load.js';
import { exposedKeyFileProblem } from '../core/passphrase-file.js';

// A CommonJS module: its namespaces are reached through the default export under ESM.
const { temporal } = proto;

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Reads a 256-bit key: 32 raw bytes, 64 hex characters or 44 base64 characters. */
export function readPayloadKey(file: string): Buffer {
  const exposed = exposedKeyFileProblem('temporal.payloadKeyFile', file, statSync(file).mode, 'the payload key');
  if (exposed) throw new ConfigError('the configuration', [exposed]);
  const raw = readFileSync(file);
  const text = raw.toString('utf8').trim();
  const key = raw.length === 32 ? raw : /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`temporal.payloadKeyFile: ${file} must hold a 256-bit key (32 bytes, 64 hex or base64 characters)`);
  return key;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keyId: string;

  constructor(private readonly key: Buffer) {
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(this.keyId) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== ENCODING) return payload;
      const keyId = Buffer.from(payload.metadata?.[KEY_ID] ?? []).toString();
      if (keyId !== this.keyId) throw new Error(`payload sealed with key ${keyId}, this process has key ${this.keyId}: use the same temporal.payloadKeyFile everywhere`);
      const data = Buffer.from(payload.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** The data converter for a config: encrypting when a payload key file is configured. */
export function dataConverterFor(keyFile: string | undefined): { payloadCodecs: PayloadCodec[] } | undefined {
  return keyFile ? { payloadCodecs: [new AesGcmPayloadCodec(readPayloadKey(keyFile))] } : undefined;
}
