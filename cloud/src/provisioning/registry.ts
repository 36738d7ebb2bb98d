import type Database from 'better-sqlite3'
import { openCloudDatabase } from '../runtime/sqlite.js'

/** A thing the local provisioning service registered. */
export interface ThingRecord {
  readonly thingName: string
  readonly kind: string
  readonly serial: string | null
  readonly certificateId: string
  readonly createdAt: string
}

export interface PendingCertificate {
  readonly certificateId: string
  readonly serialHex: string
  readonly tokenExpiresMs: number
  readonly tokenUsed: boolean
}

/**
 * The local thing registry (`<dir>/registry.db`, SQLite): certificates issued (pending until RegisterThing),
 * their one-time ownership tokens, and the things they are attached to. Every mutation commits before the
 * service answers, so a restart neither forgets a thing nor lets a used token be used again.
 */
export class ThingRegistry {
  readonly #db: Database.Database

  constructor(path: string) {
    this.#db = openCloudDatabase(path)
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS certificates (
        certificate_id TEXT PRIMARY KEY, serial_hex TEXT NOT NULL, certificate_pem TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE, token_expires_ms INTEGER NOT NULL, token_used INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS things (
        thing_name TEXT PRIMARY KEY, kind TEXT NOT NULL, serial TEXT UNIQUE, certificate_id TEXT NOT NULL,
        template TEXT NOT NULL, created_at TEXT NOT NULL);`)
  }

  addPending(c: { certificateId: string; serialHex: string; certificatePem: string; token: string; tokenExpiresMs: number }): void {
    this.#db
      .prepare(
        `INSERT INTO certificates (certificate_id, serial_hex, certificate_pem, token, token_expires_ms, status, created_at)
         VALUES (?, ?, ?, ?, ?, 'PENDING_ACTIVATION', ?)`,
      )
      .run(c.certificateId, c.serialHex, c.certificatePem, c.token, c.tokenExpiresMs, new Date().toISOString())
  }

  byToken(token: string): PendingCertificate | undefined {
    const row = this.#db
      .prepare('SELECT certificate_id, serial_hex, token_expires_ms, token_used FROM certificates WHERE token = ?')
      .get(token) as { certificate_id: string; serial_hex: string; token_expires_ms: number; token_used: number } | undefined
    return (
      row && {
        certificateId: row.certificate_id,
        serialHex: row.serial_hex,
        tokenExpiresMs: row.token_expires_ms,
        tokenUsed: row.token_used === 1,
      }
    )
  }

  thing(thingName: string): ThingRecord | undefined {
    return this.#toThing(this.#db.prepare('SELECT * FROM things WHERE thing_name = ?').get(thingName))
  }

  thingBySerial(serial: string): ThingRecord | undefined {
    return this.#toThing(this.#db.prepare('SELECT * FROM things WHERE serial = ?').get(serial))
  }

  things(): ThingRecord[] {
    return (this.#db.prepare('SELECT * FROM things ORDER BY thing_name').all() as unknown[]).map((r) => this.#toThing(r) as ThingRecord)
  }

  /**
   * Uses the token and attaches the certificate to the thing, in one transaction: a token can register at most
   * one thing, however many requests race with it. Returns the certificate the thing had before (to revoke).
   */
  register(t: { token: string; thingName: string; kind: string; serial: string | null; template: string }): {
    previousCertificateId?: string
  } {
    return this.#db.transaction(() => {
      const used = this.#db
        .prepare('UPDATE certificates SET token_used = 1, status = ? WHERE token = ? AND token_used = 0')
        .run('ACTIVE', t.token)
      if (used.changes !== 1) throw new Error('token already used')
      const cert = this.byToken(t.token) as PendingCertificate
      const before = this.thing(t.thingName)
      this.#db
        .prepare(
          `INSERT INTO things (thing_name, kind, serial, certificate_id, template, created_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (thing_name) DO UPDATE SET certificate_id = excluded.certificate_id, kind = excluded.kind`,
        )
        .run(t.thingName, t.kind, t.serial, cert.certificateId, t.template, new Date().toISOString())
      if (before) this.#db.prepare(`UPDATE certificates SET status = 'REVOKED' WHERE certificate_id = ?`).run(before.certificateId)
      return before ? { previousCertificateId: before.certificateId } : {}
    })()
  }

  certificateSerial(certificateId: string): string | undefined {
    const row = this.#db.prepare('SELECT serial_hex FROM certificates WHERE certificate_id = ?').get(certificateId) as
      | { serial_hex: string }
      | undefined
    return row?.serial_hex
  }

  close(): void {
    this.#db.close()
  }

  #toThing(row: unknown): ThingRecord | undefined {
    const r = row as { thing_name: string; kind: string; serial: string | null; certificate_id: string; created_at: string } | undefined
    return r && { thingName: r.thing_name, kind: r.kind, serial: r.serial, certificateId: r.certificate_id, createdAt: r.created_at }
  }
}
