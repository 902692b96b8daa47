// Whether a GnuPG passphrase file can be used, decided before gpg reads it. gpg takes the first
// line as the passphrase: an empty one fails inside gpg with text that names neither the file nor
// the setting, or would seal a new repository with an empty passphrase. A file that group or others
// can read or change shares the key to every backup with every account on the host: refused, as
// ssh refuses such a private key. Pure.

/** What is wrong with the passphrase file `file` (its `mode` and text), or undefined. */
export function passphraseFileProblem(field: string, file: string, mode: number, content: string): string | undefined {
  const permissions = mode & 0o777;
  if (permissions & 0o077) {
    return `${field}: ${file} is mode ${permissions.toString(8).padStart(4, '0')}: group or others can read or change the passphrase (chmod 600 it)`;
  }
  if (content.split('\n')[0] === '') return `${field}: ${file}: the passphrase is empty (gpg reads the file's first line)`;
  return undefined;
}
