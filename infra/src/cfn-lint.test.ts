import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Template } from 'aws-cdk-lib/assertions'
import { afterAll, describe, expect, it } from 'vitest'
import { fixtureStack } from './test-support.js'

/**
 * AWS's CloudFormation linter (cfn-lint, Python, aws-cloudformation/cfn-lint) over the synthesized templates. The npm
 * package named `cfn-lint` is another project (martysweet/cfn-lint), not AWS's linter, and PyPI is out of reach; the
 * node machine image ships AWS's cfn-lint 1.x, and CI must have it: under CI=true a missing linter fails the test.
 */
const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' })
const available = probe.status === 0
const dir = mkdtempSync(join(tmpdir(), 'edgetwin-cfn-lint-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * Warnings about what the CDK itself emits, not about our resources: W3005 (a DependsOn the CDK adds beside a
 * Ref/GetAtt) and W7001 (a region mapping the Firehose module always adds).
 */
const CDK_NOISE = ['W3005', 'W7001']

interface LintMatch {
  readonly Rule: { readonly Id: string }
  readonly Message: string
  readonly Filename: string
}

function synth(name: string, props: Parameters<typeof fixtureStack>[0]): string {
  const built = fixtureStack(props, { bundle: false })
  try {
    const file = join(dir, `${name}.json`)
    writeFileSync(file, JSON.stringify(Template.fromStack(built.stack).toJSON()))
    return file
  } finally {
    built.cleanup()
  }
}

describe('cfn-lint on the synthesized templates', () => {
  it.skipIf(!available && process.env['CI'] !== 'true')(
    'finds no error and no warning but the CDK’s own, in every variant of the stack',
    async () => {
      expect(probe.error, 'cfn-lint is not installed (pip install cfn-lint): CI must lint the templates').toBeUndefined()
      const files = {
        influxdb: synth('influxdb', {}),
        timestream: synth('timestream', { timeSeries: 'timestream' }),
        https: synth('https', {
          dispatchCertificateArn: 'arn:aws:acm:eu-west-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
          dispatchDomainName: 'dispatch.example.com',
          basicIngest: true,
        }),
      }
      // Exit code 0 clean, 2/4/6 for errors/warnings found (cfn-lint docs, "Exit codes"): read the JSON, not the code.
      const run = await promisify(execFile)(
        'cfn-lint',
        ['--format', 'json', '--ignore-checks', ...CDK_NOISE, '--', ...Object.values(files)],
        {
          maxBuffer: 16 * 1024 * 1024,
        },
      ).catch((err: { stdout?: string; code?: number }) => {
        if (typeof err.stdout !== 'string' || ![2, 4, 6, 8, 10, 12, 14].includes(err.code ?? 0)) throw err
        return { stdout: err.stdout }
      })
      const matches = JSON.parse(run.stdout || '[]') as LintMatch[]
      const findings = matches.map(
        (m) => `${m.Rule.Id} ${m.Filename.endsWith('timestream.json') ? 'timestream' : m.Filename}: ${m.Message}`,
      )
      // The only finding: LiveAnalytics is closed to new customers, which is why it is no longer the default.
      expect(findings.sort()).toEqual([
        "W3697 timestream: Resource type 'AWS::Timestream::Database' is from a service in maintenance mode since 2025-06-20. Consider migrating to an alternative",
        "W3697 timestream: Resource type 'AWS::Timestream::Table' is from a service in maintenance mode since 2025-06-20. Consider migrating to an alternative",
      ])
    },
    300_000,
  )
})
