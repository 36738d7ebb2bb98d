import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Mounts a real tmpfs of `size` (e.g. '4m') so a test can fill a filesystem for real. Tests and CI run as root
 * (see the repository README); anywhere else this fails loudly rather than skipping.
 */
export function mountTmpfs(size: string): { dir: string; unmount: () => void } {
  if (process.getuid?.() !== 0) throw new Error('mounting a tmpfs needs root: run the agent fault tests as root (CI does)')
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-tmpfs-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  let mounted = true
  return {
    dir,
    unmount: () => {
      if (!mounted) return
      mounted = false
      execFileSync('umount', [dir])
      rmdirSync(dir)
    },
  }
}
