import { execFile } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../agent/support.js'
import { bundleWorkspaceEntry } from '../support/bundle.js'
import { repoRoot } from '../support/cli.js'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'

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
    // Optional dependencies aside: the AWS IoT Device SDK (aws-crt, and its small @aws-sdk/util-utf8-browser) is
    // installed only where the aws-iot-sdk transport is wanted; see the cases below.
    const { stdout } = await run('npm', ['ls', '--omit=dev', '--omit=optional', '--workspace', 'agent', '--all', '--json'], {
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

  it('has the AWS IoT Device SDK as its one optional dependency', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'agent', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
      optionalDependencies?: Record<string, string>
    }
    expect(Object.keys(pkg.optionalDependencies ?? {})).toEqual(['aws-iot-device-sdk-v2'])
    expect(Object.keys(pkg.dependencies)).not.toContain('aws-iot-device-sdk-v2')
  })

  describe('loads aws-crt only when broker.transport is aws-iot-sdk (a connected agent in a child process)', () => {
    let broker: MosquittoHandle
    let child: string
    const tmp = tempDir()
    beforeAll(async () => {
      broker = await startMosquitto()
      child = await bundleWorkspaceEntry(
        join(import.meta.dirname, 'fixtures', 'footprint-child.ts'),
        join(repoRoot, 'node_modules', '.cache', 'edgetwin-test', `footprint-child-${process.pid}.mjs`),
      )
    }, 60_000)
    afterAll(async () => {
      await broker?.stop()
      rmSync(child, { force: true })
      tmp.cleanup()
    })

    const loaded = async (transport: string) => {
      const config = {
        deviceId: `footprint-${transport}`,
        kind: 'turbine',
        dataDir: join(tmp.dir, transport),
        logLevel: 'silent',
        healthIntervalS: 0,
        broker: { url: broker.url, protocolVersion: 5, transport },
      }
      const { stdout } = await run(process.execPath, [child, JSON.stringify(config)], { cwd: repoRoot })
      return JSON.parse(stdout.trim()) as { modules: number; shared: string[] }
    }

    it('mqttjs (the default): neither the SDK modules nor the native addon', async () => {
      expect(await loaded('mqttjs')).toEqual({ modules: 0, shared: [] })
    })

    it('aws-iot-sdk: the SDK and aws-crt native addon are loaded (the check sees them)', async () => {
      const r = await loaded('aws-iot-sdk')
      expect(r.modules).toBeGreaterThan(0)
      expect(r.shared.some((p) => p.endsWith('.node'))).toBe(true)
    })
  })
})
