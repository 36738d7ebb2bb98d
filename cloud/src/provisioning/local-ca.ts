import 'reflect-metadata'
import { randomBytes, webcrypto } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'
import { CloudError } from '../errors.js'

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY_MS = 86_400_000

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

/** A certificate the CA issued, as the registry keeps it. */
export interface IssuedCertificate {
  /** Lower-case hex of the SHA-256 of the DER certificate: AWS IoT's certificate id has the same form. */
  readonly certificateId: string
  readonly serialHex: string
  readonly certificatePem: string
}

export interface KeyAndCertificate extends IssuedCertificate {
  readonly privateKeyPem: string
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`
}

function newSerialHex(): string {
  // 128 random bits with the top bit clear: positive, unique, unguessable (RFC 5280 4.1.2.2: at most 20 octets).
  const b = randomBytes(16)
  b[0] = (b[0] as number) & 0x7f
  return b.toString('hex')
}

async function importPrivateKey(pemText: string): Promise<CryptoKey> {
  const der = Buffer.from(pemText.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']) as Promise<CryptoKey>
}

/**
 * The local certificate authority of the embedded default: an ECDSA P-256 CA created on first use in `dir`
 * (`ca.key`, mode 0600, never leaves this machine; `ca.crt`), which issues device, claim, broker and service
 * certificates and a CRL (`ca.crl`) for Mosquitto's `crlfile`. On AWS, IoT Core's own CA takes its place.
 */
export class LocalCa {
  readonly dir: string
  readonly #cert: x509.X509Certificate
  readonly #key: CryptoKey
  readonly #revoked = new Map<string, Date>()

  private constructor(dir: string, cert: x509.X509Certificate, key: CryptoKey) {
    this.dir = dir
    this.#cert = cert
    this.#key = key
  }

  static async open(dir: string, commonName = 'edgetwin local CA'): Promise<LocalCa> {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const keyPath = join(dir, 'ca.key')
    const certPath = join(dir, 'ca.crt')
    if (existsSync(keyPath) && existsSync(certPath)) {
      try {
        const ca = new LocalCa(
          dir,
          new x509.X509Certificate(readFileSync(certPath, 'utf8')),
          await importPrivateKey(readFileSync(keyPath, 'utf8')),
        )
        const revokedPath = join(dir, 'revoked.json')
        if (existsSync(revokedPath)) {
          for (const [serial, at] of Object.entries(JSON.parse(readFileSync(revokedPath, 'utf8')) as Record<string, string>)) {
            ca.#revoked.set(serial, new Date(at))
          }
        }
        return ca
      } catch (err) {
        throw new CloudError('CLOUD_PROVISIONING_CA', `the local CA in ${dir} cannot be read (ca.key, ca.crt, revoked.json)`, {
          cause: err,
        })
      }
    }
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair
    const now = Date.now()
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: newSerialHex(),
      name: `CN=${commonName}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3650 * DAY_MS),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    })
    writeFileSync(keyPath, pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), { mode: 0o600 })
    chmodSync(keyPath, 0o600)
    writeFileSync(certPath, cert.toString('pem'))
    const ca = new LocalCa(dir, cert, keys.privateKey)
    await ca.writeCrl()
    return ca
  }

  get certificatePem(): string {
    return this.#cert.toString('pem')
  }

  get certificatePath(): string {
    return join(this.dir, 'ca.crt')
  }

  get crlPath(): string {
    return join(this.dir, 'ca.crl')
  }

  /**
   * Verifies a PKCS#10 request's own signature (proof the requester holds the key) and issues a client
   * certificate for its public key. The subject is ours, not the request's.
   */
  async signCsr(csrPem: string, commonName: string, days: number): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem)
    } catch (err) {
      throw new CloudError('CLOUD_PROVISIONING_CSR', 'certificateSigningRequest is not a PEM PKCS#10 request', { cause: err })
    }
    if (!(await csr.verify())) {
      throw new CloudError('CLOUD_PROVISIONING_CSR', 'certificateSigningRequest is not signed by the key it names')
    }
    const key = await csr.publicKey.export()
    return this.#issue(key, commonName, days, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])])
  }

  /** A new key pair generated here and its certificate (for CreateKeysAndCertificate, and for the broker and services). */
  async issueKeyAndCertificate(
    commonName: string,
    days: number,
    server?: { readonly dnsNames: readonly string[]; readonly ips: readonly string[] },
  ): Promise<KeyAndCertificate> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair
    const usage = server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth
    const extensions: x509.Extension[] = [new x509.ExtendedKeyUsageExtension([usage])]
    if (server) {
      extensions.push(
        new x509.SubjectAlternativeNameExtension([
          ...server.dnsNames.map((value) => ({ type: 'dns' as const, value })),
          ...server.ips.map((value) => ({ type: 'ip' as const, value })),
        ]),
      )
    }
    const issued = await this.#issue(keys.publicKey, commonName, days, extensions)
    return { ...issued, privateKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) }
  }

  async #issue(publicKey: CryptoKey, commonName: string, days: number, extensions: x509.Extension[]): Promise<IssuedCertificate> {
    const serialHex = newSerialHex()
    const now = Date.now()
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex,
      subject: `CN=${commonName}`,
      issuer: this.#cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + days * DAY_MS),
      signingKey: this.#key,
      publicKey,
      signingAlgorithm: ALG,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...extensions],
    })
    const digest = await webcrypto.subtle.digest('SHA-256', cert.rawData)
    return { certificateId: Buffer.from(digest).toString('hex'), serialHex, certificatePem: cert.toString('pem') }
  }

  /** Revokes a certificate by serial and rewrites the CRL (Mosquitto reads it at start and on SIGHUP). */
  async revoke(serialHex: string): Promise<void> {
    this.#revoked.set(serialHex, new Date())
    writeFileSync(
      join(this.dir, 'revoked.json'),
      JSON.stringify(Object.fromEntries([...this.#revoked].map(([s, d]) => [s, d.toISOString()]))),
      { mode: 0o600 },
    )
    await this.writeCrl()
  }

  isRevoked(serialHex: string): boolean {
    return this.#revoked.has(serialHex)
  }

  async writeCrl(): Promise<void> {
    const now = Date.now()
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.#cert.subject,
      thisUpdate: new Date(now - 60_000),
      nextUpdate: new Date(now + 30 * DAY_MS),
      entries: [...this.#revoked].map(([serialNumber, revocationDate]) => ({ serialNumber, revocationDate })),
      signingKey: this.#key,
      signingAlgorithm: ALG,
    })
    // OpenSSL (and so Mosquitto) reads the `X509 CRL` PEM label.
    writeFileSync(this.crlPath, pem('X509 CRL', crl.rawData))
  }
}

/** The serial (hex) of a PEM certificate, as OpenSSL and the CRL name it. */
export function certificateSerial(certificatePem: string): string {
  return new x509.X509Certificate(certificatePem).serialNumber.toLowerCase()
}
