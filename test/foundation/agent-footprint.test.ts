import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/cli.js'

const run = promisify(execFile)

interface NpmTree {
  dependencies?: Record<string, NpmTree>
}

function names(tree: NpmTree, out = new Set<string>()): Set<string> {
  for (const [name, child] of Object.entries(tree.dependencies ?? {})) {
    out.add(name)
    names(child, out)
  }
  return out
}

describe('agent footprint', () => {
  it('has no AWS CDK and no AWS SDK package in its production dependency tree', async () => {
    const { stdout } = await run('npm', ['ls', '--omit=dev', '--workspace', 'agent', '--all', '--json'], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    }).catch(
      // npm ls exits non-zero on peer-dependency warnings but still prints the tree.
      (err: { stdout: string }) => ({ stdout: err.stdout }),
    )
    const all = names(JSON.parse(stdout) as NpmTree)
    expect(all.has('@edgetwin/agent')).toBe(true)
    expect(all.has('better-sqlite3')).toBe(true)
    const cloudOnly = [...all].filter(
      (n) => n === 'aws-cdk-lib' || n.startsWith('@aws-sdk/') || n === '@edgetwin/cloud' || n === '@edgetwin/infra',
    )
    expect(cloudOnly).toEqual([])
  })
})
