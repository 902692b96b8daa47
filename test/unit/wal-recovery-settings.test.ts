// Covers: core/wal-recovery-settings.ts (the recovery settings and the restore_command script)
// and core/wal-lag.ts (the archive's lag). The script is run by a real shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { confQuote, recoveryPoint, recoverySettings, recoveryTargetTime, restoreScript, shellQuote } from '../../core/wal-recovery-settings.js';
import { archiveLag } from '../../core/wal-lag.js';

test('restore_command quotes the script path for the shell, for % expansion and for the configuration file', () => {
  const text = recoverySettings({ scriptPath: "/data/it's 100%\\x/restore.sh", target: { kind: 'latest' } });
  const line = text.split('\n').find((l) => l.startsWith('restore_command'))!;
  // The configuration file's view: '' is a quote and \\ a backslash inside the quoted value.
  assert.equal(line, `restore_command = '''/data/it''\\\\''''s 100%%\\\\x/restore.sh'' %f %p'`);
  assert.equal(confQuote("a'b\\c"), "'a''b\\\\c'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.match(text, /recovery_target_action = 'promote'/);
  assert.doesNotMatch(text, /recovery_target_time =/, '"latest" replays everything the archive has');
});

test('a target time is written in UTC with a numeric offset, stopping before commits at that time', () => {
  assert.equal(recoveryTargetTime('2026-11-30T09:15:00.250+01:00'), '2026-11-30 08:15:00.250+00');
  const text = recoverySettings({ scriptPath: '/d/s.sh', target: { kind: 'time', time: '2026-11-30T08:15:00.250Z' } });
  assert.match(text, /recovery_target_time = '2026-11-30 08:15:00.250\+00'/);
  assert.match(text, /recovery_target_inclusive = 'off'/);
});

test('the restore script serves staged WAL by name, a partial segment under its full name, and refuses any other name', async () => {
  const dir = await mkdtemp(join(tmpdir(), "pbb wal'dir-"));
  try {
    const staged = join(dir, 'staged');
    await execa('mkdir', [staged]);
    await writeFile(join(staged, '000000010000000000000003'), 'whole');
    await writeFile(join(staged, '000000010000000000000004.partial'), 'partial');
    await writeFile(join(dir, 'secret'), 'not WAL');
    const script = join(dir, 'restore.sh');
    await writeFile(script, restoreScript(staged), { mode: 0o755 });
    const fetch = async (name: string) => {
      const out = join(dir, 'out');
      await rm(out, { force: true });
      const { exitCode } = await execa(script, [name, out], { reject: false });
      return exitCode === 0 ? readFile(out, 'utf8') : undefined;
    };
    assert.equal(await fetch('000000010000000000000003'), 'whole');
    assert.equal(await fetch('000000010000000000000004'), 'partial');
    assert.equal(await fetch('000000010000000000000005'), undefined, 'not archived: recovery ends there');
    assert.equal(await fetch('../secret'), undefined);
    assert.equal(await fetch('..'), undefined);
    assert.equal(await fetch('$(touch x)'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the RPO is the target (or the recovery\'s start, for "latest") minus the last transaction replayed', () => {
  assert.deepEqual(recoveryPoint({ target: { kind: 'time', time: '2026-11-30T08:15:00.000Z' }, reachedAt: '2026-11-30T08:14:59.500Z', startedAt: '2026-11-30T09:00:00.000Z' }), {
    reachedAt: '2026-11-30T08:14:59.500Z',
    rpoMs: 500,
  });
  assert.equal(recoveryPoint({ target: { kind: 'latest' }, reachedAt: '2026-11-30T08:59:30.000Z', startedAt: '2026-11-30T09:00:00.000Z' }).rpoMs, 30_000);
  assert.deepEqual(recoveryPoint({ target: { kind: 'latest' }, startedAt: '2026-11-30T09:00:00.000Z' }), {}, 'nothing replayed: no point to report');
});

test('archive lag counts only while the source has WAL the archive lacks', () => {
  const now = '2026-11-30T09:00:00.000Z';
  assert.deepEqual(archiveLag({ now, lastReceivedAt: '2026-11-30T08:00:00.000Z', behindBytes: 0 }, 60_000), { lagMs: 0, behindBytes: 0, verdict: 'ok' }, 'an idle source');
  assert.equal(archiveLag({ now, lastReceivedAt: '2026-11-30T08:58:00.000Z', behindBytes: 8192 }, 60_000).verdict, 'late');
  assert.equal(archiveLag({ now, lastReceivedAt: '2026-11-30T08:58:00.000Z' }, 60_000).verdict, 'late', 'a source that does not answer');
  assert.equal(archiveLag({ now, behindBytes: 0 }, 60_000).verdict, 'never received');
});
