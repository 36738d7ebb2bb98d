/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof` writes one per process), as a table: what the
 * bench phases spend their time on. Usage: profile-top.ts <file.cpuprofile> [count=25]
 * Self time is attributed from the sample timeline (timeDeltas), so idle and GC appear as V8 names them.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

export function topSelfTime(profile: Profile, count: number): { name: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0
    const n = byId.get(profile.samples[i]!)
    if (!n) continue
    const f = n.callFrame
    const where = f.url ? ` ${f.url.replace(/^.*\/(node_modules|work\/main)\//, '')}:${f.lineNumber + 1}` : ''
    const name = `${f.functionName || '(anonymous)'}${where}`
    self.set(name, (self.get(name) ?? 0) + dt)
    total += dt
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }))
}

if (process.argv[1]?.endsWith('profile-top.ts') || process.argv[1]?.endsWith('profile-top.js')) {
  const file = process.argv[2]
  if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [count]')
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  for (const r of topSelfTime(profile, Number(process.argv[3] ?? 25))) {
    process.stdout.write(`${(r.share * 100).toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}\n`)
  }
}
