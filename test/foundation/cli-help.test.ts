import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { buildProgram, COMMANDS } from '../../cli/src/program.js'
import { repoRoot } from '../support/cli.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'edgetwin-help-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `edgetwin <args>` from source and returns its stdout and every module URL it resolved. */
async function helpWithImports(args: string[]): Promise<{ stdout: string; imports: string[] }> {
  const log = join(dir, `${args.join('-')}.log`)
  const { stdout } = await run(
    process.execPath,
    ['--conditions=@edgetwin/source', '--import', 'tsx', '--import', './test/support/import-recorder.mjs', 'cli/src/main.ts', ...args],
    { cwd: repoRoot, env: { ...process.env, EDGETWIN_IMPORT_LOG: log } },
  )
  return { stdout, imports: readFileSync(log, 'utf8').split('\n').filter(Boolean) }
}

const HEAVY = [
  '/node_modules/@aws-sdk/',
  '/node_modules/fastify/',
  '/node_modules/better-sqlite3/',
  '/node_modules/aedes/',
  '/node_modules/mqtt/',
]
const heavyIn = (imports: string[]) => imports.filter((url) => HEAVY.some((h) => url.includes(h)))

describe('edgetwin --help', () => {
  it('lists every command and loads none of their modules', async () => {
    const { stdout, imports } = await helpWithImports(['--help'])
    for (const c of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${c.name} +`, 'm'))
    expect(imports.filter((url) => url.includes('/cli/src/commands/'))).toEqual([])
    expect(heavyIn(imports)).toEqual([])
  })

  it('answers agent run --help without SQLite or MQTT, and marks the required option', async () => {
    const { stdout, imports } = await helpWithImports(['agent', 'run', '--help'])
    expect(stdout).toMatch(/--config <file>\s+agent configuration[\s\S]*\(required\)/)
    expect(imports.some((url) => url.endsWith('/cli/src/commands/agent.ts'))).toBe(true)
    expect(heavyIn(imports)).toEqual([])
  })

  it.each([
    ['dispatch', 'serve', /--port <port>/],
    ['cloud', 'run', /--config <file>/],
  ])('answers %s %s --help without the AWS SDK, Fastify or SQLite', async (command, sub, option) => {
    const { stdout, imports } = await helpWithImports([command, sub, '--help'])
    expect(stdout).toMatch(option)
    expect(heavyIn(imports)).toEqual([])
  })

  it('demo --help states the --exit default once', async () => {
    const { stdout } = await helpWithImports(['demo', '--help'])
    expect(stdout).toMatch(/--exit\s+stop the broker/)
    expect(stdout).not.toMatch(/\(default: false\)/)
  })
})

describe('the command list', () => {
  it('names exactly the commands the modules register', async () => {
    const program = await buildProgram([], { loadAll: true })
    expect(program.commands.map((c) => c.name()).sort()).toEqual(COMMANDS.map((c) => c.name).sort())
    // Every command loaded in full has subcommands or an action: none is left as a bare summary.
    for (const c of program.commands) expect(c.commands.length > 0 || c.description() !== '').toBe(true)
  })

  it('loads only the command asked for', async () => {
    const program = await buildProgram(['help', 'jobs'])
    const jobs = program.commands.find((c) => c.name() === 'jobs')!
    expect(jobs.commands.map((c) => c.name())).toContain('serve')
    expect(program.commands.find((c) => c.name() === 'fleet')!.commands).toEqual([])
  })
})

describe('npx edgetwin', () => {
  it('is linked by npm ci to the launcher that is always in the repository', () => {
    // npm links a workspace's bin at install time only if its target exists then: cli/bin/edgetwin.js is checked in,
    // cli/dist is not built yet on a fresh clone.
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'cli/package.json'), 'utf8')) as { bin: Record<string, string> }
    expect(pkg.bin).toEqual({ edgetwin: './bin/edgetwin.js' })
    expect(realpathSync(join(repoRoot, 'node_modules/.bin/edgetwin'))).toBe(realpathSync(join(repoRoot, 'cli/bin/edgetwin.js')))
  })

  // Needs the compiled CLI (CI builds before testing); without it the launcher would start a full build.
  it.skipIf(!existsSync(join(repoRoot, 'cli/dist/main.js')) && process.env.CI !== 'true')('answers --help', async () => {
    const { stdout } = await run('npx', ['--no-install', 'edgetwin', '--help'], { cwd: repoRoot })
    expect(stdout).toMatch(/^Usage: edgetwin/)
    expect(stdout).toMatch(/^ {2}demo +the embedded default/m)
  })
})
