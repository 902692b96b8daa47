// Replaces known secret values in text: in every error message that can reach Temporal history,
// since stderr of a failed tool may echo what it was given, and inside the values of log lines.
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

/**
 * Scrubs one serialized log line and keeps it JSON. Secrets are replaced inside string values and
 * keys after JSON unescaping, so a secret holding a quote or backslash is still found, and one that
 * is also a JSON word or number ("true", "3600": a .env setting can be secret-named) cannot break
 * the line's structure. Numbers and booleans are left as they are: they are our own figures. A line
 * that is not JSON is scrubbed as text.
 */
export function redactJsonLine(line: string, secrets: Iterable<string>): string {
  const scrubbed = [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH);
  // Without a backslash every JSON string reads as it is written: no secret in the text, none in the values.
  if (!line.includes('\\') && !scrubbed.some((s) => line.includes(s))) return line;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return redactText(line, scrubbed);
  }
  return `${JSON.stringify(redactValue(value, scrubbed))}${line.endsWith('\n') ? '\n' : ''}`;
}

function redactValue(value: unknown, secrets: string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactText(k, secrets), redactValue(v, secrets)]));
  }
  return value;
}
