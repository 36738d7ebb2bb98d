import { execFileSync } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ])
  writeFileSync(
    join(dir, `${name}.cnf`),
    [
      '[ca]',
      `default_ca = ${name}_ca`,
      `[${name}_ca]`,
      `dir = ${dir}`,
      `database = ${dir}/${name}.index`,
      `new_certs_dir = ${dir}`,
      `serial = ${dir}/${name}.serial`,
      'default_md = sha256',
      'policy = any',
      'copy_extensions = copy',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  )
  writeFileSync(join(dir, `${name}.index`), '')
  writeFileSync(join(dir, `${name}.serial`), '01\n')
}

/** Issues `name.crt`/`name.key` from CA `ca`, valid between the two dates (YYYYMMDDHHMMSSZ). */
function issue(dir: string, ca: string, name: string, cn: string, san: string, start: string, end: string): void {
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
    '-addext',
    `subjectAltName=${san}`,
  ])
  openssl(dir, [
    'ca',
    '-batch',
    '-notext',
    '-config',
    `${ca}.cnf`,
    '-cert',
    `${ca}.crt`,
    '-keyfile',
    `${ca}.key`,
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.crt`,
    '-startdate',
    start,
    '-enddate',
    end,
  ])
}

function stamp(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`
}

/**
 * A throwaway PKI made with openssl: a test CA issuing a good server certificate (127.0.0.1 / localhost), a
 * client certificate, an expired server certificate and one for another host; plus a second, untrusted CA
 * issuing an otherwise good server certificate. Files are world-readable (Mosquitto drops to its own user)
 * except `client.key`, which is 0600 as the agent demands.
 */
export function makeTestPki(dir: string): void {
  chmodSync(dir, 0o755)
  const now = Date.now()
  const from = stamp(new Date(now - 3600_000))
  const to = stamp(new Date(now + 86_400_000))
  makeCa(dir, 'ca')
  makeCa(dir, 'otherca')
  issue(dir, 'ca', 'server', 'localhost', 'DNS:localhost,IP:127.0.0.1', from, to)
  issue(dir, 'ca', 'client', 'turbine-1', 'DNS:turbine-1', from, to)
  issue(dir, 'ca', 'expired', 'localhost', 'DNS:localhost,IP:127.0.0.1', '20200101000000Z', '20200102000000Z')
  issue(dir, 'ca', 'wronghost', 'elsewhere.example', 'DNS:elsewhere.example', from, to)
  issue(dir, 'otherca', 'untrusted', 'localhost', 'DNS:localhost,IP:127.0.0.1', from, to)
  for (const f of ['ca', 'otherca', 'server', 'expired', 'wronghost', 'untrusted']) {
    chmodSync(join(dir, `${f}.crt`), 0o644)
    chmodSync(join(dir, `${f}.key`), 0o644)
  }
  chmodSync(join(dir, 'client.key'), 0o600)
}
