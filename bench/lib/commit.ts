// Which code the figures measured: the commit checked out, and whether the working tree differed
// from it (then the figures describe no commit, and RESULTS.md says so).
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface MeasuredCode {
  /** null outside a git checkout (a copied tree). */
  commit: string | null;
  /** Tracked files changed, or untracked files present, when the benchmark started. */
  changedFiles: number;
}

export async function measuredCode(): Promise<MeasuredCode> {
  const git = (args: string[]) => execa('git', args, { cwd: ROOT, reject: false });
  const [head, status] = await Promise.all([git(['rev-parse', 'HEAD']), git(['status', '--porcelain', '--untracked-files=normal'])]);
  return {
    commit: head.exitCode === 0 ? head.stdout.trim() : null,
    changedFiles: status.exitCode === 0 ? status.stdout.split('\n').filter(Boolean).length : 0,
  };
}

export function describeCode(code: MeasuredCode): string {
  if (!code.commit) return 'a tree outside git (no commit to name)';
  return code.changedFiles
    ? `commit ${code.commit} with uncommitted changes in ${code.changedFiles} file(s): these figures describe no commit`
    : `commit ${code.commit} (clean tree)`;
}
