import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PostgresHandle, startPostgres } from './postgres.js'

let server: PostgresHandle
beforeAll(async () => {
  server = await startPostgres()
})
afterAll(async () => {
  await server?.destroy()
})

describe('PostgreSQL test harness', () => {
  it('serves a password-protected role over loopback TCP and refuses a wrong password', async () => {
    await server.createUserAndDatabase('harness', 'right-pw', 'harnessdb')
    const ok = new pg.Client({ host: server.host, port: server.port, user: 'harness', password: 'right-pw', database: 'harnessdb' })
    await ok.connect()
    expect((await ok.query('SELECT current_user AS u, version() AS v')).rows[0]).toMatchObject({
      u: 'harness',
      v: expect.stringMatching(/^PostgreSQL 15/),
    })
    await ok.end()
    const bad = new pg.Client({ host: server.host, port: server.port, user: 'harness', password: 'wrong', database: 'harnessdb' })
    await expect(bad.connect()).rejects.toMatchObject({ code: '28P01' })
  })

  it('stops and starts again on the same port with the data kept', async () => {
    const a = await server.admin()
    await a.query('CREATE TABLE kept (x int)')
    await a.query('INSERT INTO kept VALUES (42)')
    await a.end()
    await server.stop()
    await expect(server.admin()).rejects.toThrow()
    await server.start()
    const b = await server.admin()
    expect((await b.query('SELECT x FROM kept')).rows).toEqual([{ x: 42 }])
    await b.end()
  })
})
