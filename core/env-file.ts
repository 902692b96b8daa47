// The .env format a compose deployment uses (KEY=VALUE lines, # comments, optional quotes), read
// and written the same way by the recovery (its overrides) and the app launcher. Pure.

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names whose values are secrets (DB_PASSWORD, SECRET_KEY, ADMIN_PASSWORD_HASH, S3_SECRET_KEY, API keys...). */
export const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|PASSPHRASE|PRIVATE|CREDENTIAL|_HASH$/i;
/** A URL with a password in it (postgresql://user:pw@host/db): group 1 is the password. */
export const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^/@]+)@/i;

/**
 * The secret values of an env file: those of secret-looking names, and passwords inside URLs.
 * Paths, user names and switches (STORAGE_BACKEND=fs) are not: scrubbing them from every log
 * line would garble the logs without protecting anything.
 */
export function secretValues(vars: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (!value) continue;
    if (SECRET_NAME.test(name)) out.push(value);
    const inUrl = URL_WITH_PASSWORD.exec(value)?.[1];
    if (inUrl) out.push(inUrl, value);
  }
  return out;
}

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s*export\s+/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!ENV_NAME.test(key)) continue;
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

/** One KEY=VALUE line each; values with spaces, quotes or # are single-quoted (no newlines allowed). */
export function formatEnvFile(vars: Record<string, string>, header: string): string {
  const lines = Object.entries(vars).map(([key, value]) => {
    if (!ENV_NAME.test(key)) throw new Error(`not an environment variable name: ${key}`);
    if (/[\r\n]/.test(value)) throw new Error(`${key}: a value cannot span lines`);
    if (!/[\s'"#$\\]/.test(value)) return `${key}=${value}`;
    if (value.includes("'")) throw new Error(`${key}: a value with a single quote and spaces or symbols cannot be written`);
    return `${key}='${value}'`;
  });
  return `${header.split('\n').map((l) => `# ${l}`).join('\n')}\n${lines.join('\n')}\n`;
}
