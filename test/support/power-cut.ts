import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Debian's interpreter: python3-fusepy is installed for it (a pyenv or venv python3 on PATH would not have it). */
const PYTHON = '/usr/bin/python3'
const SCRIPT = join(import.meta.dirname, 'powercut-fs.py')

export interface PowerCutMount {
  /** Where to put the files: they reach `backing` only when synced. */
  readonly mount: string
  /** The power cut: the filesystem process is killed (its unsynced writes die with it) and the mount detached. */
  cut(): Promise<void>
  /**
   * From now on every fsync/fdatasync, data write or data read fails with EIO, as a failing disk's do
   * (`read-eio-from N`: reads reaching byte N of a file or beyond); `none` ends it.
   */
  fault(kind: 'fsync-eio' | 'write-eio' | 'read-eio' | `read-eio-from ${number}` | 'none'): void
}

function mounted(mount: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === mount)
}

/**
 * Mounts test/support/powercut-fs.py (FUSE, `fuse3` + `python3-fusepy` from Debian; `.ci/run` installs them) over
 * `backing` at `mount`: a disk whose write cache is lost in a power cut, and that can be made to fail with EIO.
 * Waits until the mount is live.
 */
export async function mountPowerCutFs(backing: string, mount: string): Promise<PowerCutMount> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: install python3 and python3-fusepy (apt-get)`)
  if (!existsSync('/dev/fuse')) throw new Error('/dev/fuse not found: the power-cut filesystem needs FUSE (fuse3)')
  mkdirSync(backing, { recursive: true })
  mkdirSync(mount, { recursive: true })
  const proc: ChildProcess = spawn(PYTHON, [SCRIPT, backing, mount], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr!.on('data', (d) => {
    stderr += d
  })
  let exited: number | null | undefined
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', (code) => {
      exited = code
      resolve()
    }),
  )
  // Wait on progress: the mount appears, or the process fails.
  while (!mounted(mount)) {
    if (exited !== undefined) throw new Error(`powercut-fs.py exited with ${exited} before mounting: ${stderr.slice(-2000)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return {
    mount,
    fault(kind) {
      writeFileSync(join(mount, '.fault'), kind)
    },
    async cut() {
      if (exited === undefined) proc.kill('SIGKILL')
      await exit
      if (mounted(mount)) execFileSync('umount', ['-l', mount])
    },
  }
}
