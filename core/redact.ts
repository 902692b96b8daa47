// Replaces known secret values in text. Used on log lines and on every error message that can
// reach Temporal history, since stderr of a failed tool may echo what it was given.
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not scrubbed: replacing "a" everywhere would garble output. */
const MIN_SECRET_LENGTH = 4;

export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(REDACTED);
  }
  return out;
}
