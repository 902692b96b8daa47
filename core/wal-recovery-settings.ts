// What a point-in-time recovery writes into the restored data directory: the recovery settings
// (appended to postgresql.auto.conf) and the restore_command script. restore_command is a shell
// command line the server runs: nothing in it is interpolated from WAL names or input, only the
// script's own path, quoted for the shell, for restore_command's % escapes and for the
// configuration file. The script checks the name the server asks for before using it in a path.
//
// Pure module: text only.

export type RecoveryTarget = { kind: 'latest' } | { kind: 'time'; time: string };

/** Quotes a word for a POSIX shell: nothing inside single quotes is special but the quote itself. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A postgresql.conf string value: backslashes and single quotes escaped, then single-quoted. */
export function confQuote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** restore_command expands %f, %p, %r and %%: a literal % in a path must be doubled. */
function percentEscape(text: string): string {
  return text.replace(/%/g, '%%');
}

/**
 * A time as recovery_target_time takes it: in UTC with a numeric offset. The setting is parsed
 * before the catalogs can be read, so zone abbreviations (the "Z" of ISO times) are refused.
 */
export function recoveryTargetTime(iso: string): string {
  return `${new Date(iso).toISOString().replace('T', ' ').replace('Z', '')}+00`;
}

/** The lines appended to postgresql.auto.conf: where WAL comes from, where to stop, then promote. */
export function recoverySettings(opts: { scriptPath: string; target: RecoveryTarget }): string {
  const restoreCommand = `${percentEscape(shellQuote(opts.scriptPath))} %f %p`;
  return [
    '',
    '# Written by promptbox-backup for a point-in-time recovery.',
    `restore_command = ${confQuote(restoreCommand)}`,
    ...(opts.target.kind === 'time' ? [`recovery_target_time = ${confQuote(recoveryTargetTime(opts.target.time))}`, "recovery_target_inclusive = 'off'"] : []),
    "recovery_target_timeline = 'latest'",
    "recovery_target_action = 'promote'",
    // The restored server must not archive into whatever the source's archive_command names.
    "archive_mode = 'off'",
    '',
  ].join('\n');
}

/**
 * The restore_command script: copies the WAL file the server asks for ($1, i.e. %f) from the
 * staged directory to $2 (%p). A name holding anything but letters, digits and dots, or starting
 * with a dot, is refused before it reaches a path. A segment not archived whole is served from
 * the `.partial` pg_receivewal was writing: the zeros after its last record end the recovery there.
 */
export function restoreScript(stagedWalDir: string): string {
  return [
    '#!/bin/sh',
    '# Written by promptbox-backup: serves archived WAL to a recovering server ($1 = %f, $2 = %p).',
    'set -eu',
    'case "$1" in',
    "  ''|.*|*[!0-9A-Za-z.]*) exit 1 ;;",
    'esac',
    `dir=${shellQuote(stagedWalDir)}`,
    'if [ -f "$dir/$1" ]; then exec cp "$dir/$1" "$2"; fi',
    'if [ -f "$dir/$1.partial" ]; then exec cp "$dir/$1.partial" "$2"; fi',
    'exit 1',
    '',
  ].join('\n');
}

/** The recovery point as the report states it, and the data lost against the moment recovered to. */
export function recoveryPoint(opts: { target: RecoveryTarget; reachedAt?: string; startedAt: string }): { reachedAt?: string; rpoMs?: number } {
  if (!opts.reachedAt) return {};
  const wanted = opts.target.kind === 'time' ? Date.parse(opts.target.time) : Date.parse(opts.startedAt);
  return { reachedAt: opts.reachedAt, rpoMs: Math.max(0, wanted - Date.parse(opts.reachedAt)) };
}
