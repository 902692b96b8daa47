// Whether a GnuPG passphrase file (or another key file) can be used, decided before it is read. gpg takes the first
// line as the passphrase: an empty one fails inside gpg with text that names neither the file nor
// the setting, or would seal a new repository with an empty passphrase. A file that group or others
// can read or change shares the key to every backup with every account on the host: refused, as
// ssh refuses such a private key. Pure.

/**
 * A key file (passphrase, payload key, SSH identity, rclone config with crypt passwords) that
 * group or others can read or change, or undefined: `what` names its content in the message.
 */
export function exposedKeyFileProblem(field: string, file: string, mode: number, what = 'the key'): string | undefined {
  const permissions = mode & 0o777;
  if (!(permissions & 0o077)) return undefined;
  return `${field}: ${file} is mode ${permissions.toString(8).padStart(4, '0')}: group or others can read or change ${what} (chmod 600 it)`;
}

/** What is wrong with the passphrase file `file` (its `mode` and text), or undefined. */
export function passphraseFileProblem(field: string, file: string, mode: number, content: string): string | undefined {
  const exposed = exposedKeyFileProblem(field, file, mode, 'the passphrase');
  if (exposed) return exposed;
  if (content.split('\n')[0] === '') return `${field}: ${file}: the passphrase is empty (gpg reads the file's first line)`;
  return undefined;
}
