// Covers: activities/offsite.ts and the off-site step of workflows/backup-post-commit.ts, against real
// peers on loopback: an sshd started with a throwaway host key and client key, and a WebDAV
// server run by rclone itself standing in for the cloud (through rclone's crypt backend).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import pino from 'pino';
import { useServices } from '../harness.js';
import { assertSucceeded, makeConfig, makeFixture, runBackup, runWorkflow } from '../helpers.js';
import { freePort, waitFor } from '../../local/ports.js';
import { fetchOffsite } from '../../activities/offsite.js';
import { CommandRunner } from '../../activities/command.js';
import { SecretStore } from '../../activities/secrets.js';
import { parseConfig } from '../../config/load.js';
import type { RestoreTestResult } from '../../repository/restore-tests.js';
import { manifestSchema } from '../../core/manifest.js';

const services = useServices();
const peers: ResultPromise[] = [];
let ssh: { port: number; identityFile: string; knownHostsFile: string; user: string };
let webdav: { port: number; served: string; rcloneConfig: string };

// Started by the first test that needs them (the harness's services must be up first).
let peersReady: Promise<void> | undefined;
const startPeers = () => (peersReady ??= launchPeers());

async function launchPeers(): Promise<void> {
  const dir = join(services.dir, 'peers');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // sshd on a free loopback port, with its own host key and one authorised throwaway client key.
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o600 });
  const sshPort = await freePort();
  await writeFile(
    join(dir, 'sshd_config'),
    [`Port ${sshPort}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', `PidFile ${join(dir, 'sshd.pid')}`, ''].join('\n'),
  );
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);
  peers.push(execa('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { reject: false, stdio: 'ignore' }));
  const hostKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  await writeFile(join(dir, 'known_hosts'), `[127.0.0.1]:${sshPort} ${hostKey}\n`);
  const user = (await execa('id', ['-un'])).stdout.trim();
  ssh = { port: sshPort, identityFile: join(dir, 'client_key'), knownHostsFile: join(dir, 'known_hosts'), user };
  await waitFor('sshd', 15_000, async () => (await execa('ssh', ['-i', ssh.identityFile, '-p', String(sshPort), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${ssh.knownHostsFile}`, `${user}@127.0.0.1`, 'true'], { reject: false })).exitCode === 0);

  // The "cloud": rclone serving WebDAV from a directory, reached through a crypt remote.
  const served = join(dir, 'cloud');
  await mkdir(served);
  const davPort = await freePort();
  peers.push(execa('rclone', ['serve', 'webdav', served, '--addr', `127.0.0.1:${davPort}`], { reject: false, stdio: 'ignore' }));
  const obscured = (await execa('rclone', ['obscure', 'crypt-test-password'])).stdout.trim();
  const rcloneConfig = join(dir, 'rclone.conf');
  await writeFile(rcloneConfig, `[cloud]\ntype = webdav\nurl = http://127.0.0.1:${davPort}\nvendor = other\n\n[vault]\ntype = crypt\nremote = cloud:promptbox\npassword = ${obscured}\n`, { mode: 0o600 });
  webdav = { port: davPort, served, rcloneConfig };
  await waitFor('rclone webdav', 15_000, async () => (await fetch(`http://127.0.0.1:${davPort}/`).catch(() => undefined))?.ok ?? false);
}

after(async () => {
  for (const p of peers) p.kill('SIGTERM');
  await Promise.all(peers.map((p) => p.catch(() => undefined)));
});

test('off-site copies over SSH and to a crypt remote are made, verified, recorded, and restorable', async () => {
  await startPeers();
  const fixture = await makeFixture(services, 6);
  const sshDest = join(services.dir, 'offsite-ssh', 'promptbox');
  const setup = await makeConfig(services, fixture, 'offsite copies', {
    overrides: (raw) => {
      raw.offsite = [
        { type: 'ssh', name: 'backup-host', destination: `${ssh.user}@127.0.0.1:${sshDest}`, port: ssh.port, identityFile: ssh.identityFile, knownHostsFile: ssh.knownHostsFile },
        { type: 'rclone', name: 'cloud', remote: 'vault:', configFile: webdav.rcloneConfig, verify: 'download' },
      ];
    },
  });
  // What pg_receivewal is writing is plaintext row data, even in an encrypted repository: never copied.
  const incoming = join(setup.config.repository.root, 'wal', 'incoming');
  await mkdir(incoming, { recursive: true });
  await writeFile(join(incoming, '000000010000000000000001.partial'), 'plaintext rows');
  const result = assertSucceeded(await runBackup(services, setup));
  assert.deepEqual(result.offsite.map((o) => [o.target, o.verified]), [['backup-host', true], ['cloud', true]], JSON.stringify(result.warnings));
  assert.equal(existsSync(join(sshDest, 'wal', 'incoming')), false, 'the WAL being written stays home');
  const manifest = manifestSchema.parse(JSON.parse(await readFile(join(setup.config.repository.root, result.manifest!), 'utf8')));
  assert.deepEqual(manifest.offsite?.map((o) => o.target), ['backup-host', 'cloud']);

  // The crypt remote holds no readable names: the cloud never sees "manifests" or "db".
  const cloudNames = await readdir(join(webdav.served, 'promptbox'), { recursive: true });
  const segments = cloudNames.flatMap((n) => String(n).split('/'));
  assert.ok(segments.length > 0 && !segments.some((n) => ['manifests', 'db', 'images', 'config'].includes(n) || /\.(dump|json|gpg|png)$/.test(n)), segments.slice(0, 5).join(', '));

  // Restore from each copy: fetch it back and run the integrity restore test on what came back.
  const commands = new CommandRunner(new SecretStore(), pino({ level: 'silent' }));
  for (const target of setup.config.offsite) {
    const restored = join(services.dir, `restored-from-${target.name}`);
    await fetchOffsite(commands, target, restored);
    const fromCopy = { ...setup, config: parseConfig({ ...structuredClone(setup.config), repository: { root: restored }, offsite: [] }, 'test', {}) };
    const check = await runWorkflow<RestoreTestResult>(services, fromCopy, 'restoreTest', [{ kind: 'integrity' }]);
    assert.ifError(check.error);
    assert.equal(check.result?.passed, true, `${target.name}: ${JSON.stringify(check.result?.failures)}`);
    assert.ok((await readdir(join(restored, 'manifests'))).includes(`${result.backupId}.json`));
  }
});

test('an SSH key or rclone config that others can read is refused naming the field, before any copy', async () => {
  await startPeers();
  const fixture = await makeFixture(services, 2);
  const exposedKey = join(services.dir, 'exposed_key');
  const exposedRclone = join(services.dir, 'exposed-rclone.conf');
  await writeFile(exposedKey, await readFile(ssh.identityFile), { mode: 0o644 });
  await writeFile(exposedRclone, await readFile(webdav.rcloneConfig), { mode: 0o640 });
  const setup = await makeConfig(services, fixture, 'offsite exposed keys', {
    overrides: (raw) => {
      raw.offsite = [
        { type: 'ssh', name: 'backup-host', destination: `${ssh.user}@127.0.0.1:${join(services.dir, 'never-copied')}`, port: ssh.port, identityFile: exposedKey, knownHostsFile: ssh.knownHostsFile },
        { type: 'rclone', name: 'cloud', remote: 'vault:never', configFile: exposedRclone, verify: 'download' },
      ];
    },
  });
  const result = assertSucceeded(await runBackup(services, setup));
  assert.deepEqual(result.offsite.map((o) => o.verified), [false, false]);
  const warnings = result.warnings.join('\n');
  assert.match(warnings, /offsite backup-host: identityFile: .*exposed_key is mode 0644: group or others can read or change the SSH private key \(chmod 600 it\)/);
  assert.match(warnings, /offsite cloud: configFile: .*exposed-rclone\.conf is mode 0640/);
  assert.equal(await readdir(join(services.dir, 'never-copied')).catch(() => 'absent'), 'absent', 'nothing was copied with the exposed key');
});

test('a copy that cannot be made is a warning and an alert; the local backup stays good', async () => {
  await startPeers();
  const fixture = await makeFixture(services, 3);
  const setup = await makeConfig(services, fixture, 'offsite failure', {
    overrides: (raw) => {
      raw.offsite = [{ type: 'ssh', name: 'unknown-host-key', destination: `${ssh.user}@127.0.0.1:/tmp/never`, port: ssh.port, identityFile: ssh.identityFile, knownHostsFile: '/dev/null' }];
    },
  });
  const result = assertSucceeded(await runBackup(services, setup));
  assert.equal(result.offsite[0]?.verified, false);
  assert.match(result.warnings.join('\n'), /off-site copy to unknown-host-key failed: .*Host key verification failed/s);
  assert.ok((await readdir(join(setup.config.repository.root, 'manifests'))).includes(`${result.backupId}.json`));
});
