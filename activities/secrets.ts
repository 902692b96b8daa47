// Resolves secret references (environment variable or file) on the worker, the only place
// secret values exist, and remembers every value it handed out so logs and error messages can
// be scrubbed of them.
import { readFile } from 'node:fs/promises';
import type { SecretRef } from '../config/schema.js';
import { redactText } from '../core/redact.js';
import { fail } from './failure.js';

export class SecretStore {
  private readonly known = new Set<string>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Registers a value that must never be printed (e.g. found in a .env file). */
  remember(value: string): void {
    const trimmed = value.trim();
    if (trimmed) this.known.add(trimmed);
  }

  async resolve(ref: SecretRef, what: string): Promise<string> {
    let value: string | undefined;
    if ('env' in ref) {
      value = this.env[ref.env];
      if (value === undefined || value === '') {
        throw fail('ConfigInvalid', `${what}: environment variable ${ref.env} is not set on the worker`);
      }
    } else {
      try {
        value = (await readFile(ref.file, 'utf8')).replace(/\r?\n$/, '');
      } catch (err) {
        throw fail('ConfigInvalid', `${what}: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (value === '') throw fail('ConfigInvalid', `${what}: ${ref.file} is empty`);
    }
    this.remember(value);
    return value;
  }

  redact(text: string): string {
    return redactText(text, this.known);
  }

  values(): Iterable<string> {
    return this.known;
  }
}
