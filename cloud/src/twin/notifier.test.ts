import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SNSClient } from '@aws-sdk/client-sns'
import { afterEach, describe, expect, it } from 'vitest'
import { createSnsNotifier, createWebhookNotifier } from './notifier.js'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

async function serve(
  answer: (req: Seen) => { status: number; body: string; type?: string },
): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
    seen.push(s)
    const a = answer(s)
    res.writeHead(a.status, { 'content-type': a.type ?? 'text/xml' })
    res.end(a.body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

const notification = {
  subject: 'edgetwin: anomaly on turbine-1 — ö',
  deviceId: 'turbine-1',
  kind: 'anomaly' as const,
  message: '3 over-speed episodes',
}

describe('notifiers at the wire', () => {
  const servers: Server[] = []
  afterEach(() => {
    for (const s of servers.splice(0)) s.close()
  })

  it('SNS: sends Publish in the query protocol with an ASCII subject and message attributes', async () => {
    const { server, url, seen } = await serve(() => ({
      status: 200,
      body: '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata></PublishResponse>',
    }))
    servers.push(server)
    const client = new SNSClient({
      endpoint: url,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    })
    await createSnsNotifier(client, 'arn:aws:sns:eu-west-2:123456789012:edgetwin-twin').notify(notification)
    expect(seen).toHaveLength(1)
    const form = new URLSearchParams(seen[0]!.body)
    expect(form.get('Action')).toBe('Publish')
    expect(form.get('TopicArn')).toBe('arn:aws:sns:eu-west-2:123456789012:edgetwin-twin')
    expect(form.get('Subject')).toBe('edgetwin: anomaly on turbine-1 ? ?')
    expect(JSON.parse(form.get('Message')!)).toMatchObject({ deviceId: 'turbine-1', kind: 'anomaly' })
    expect(form.get('MessageAttributes.entry.1.Name')).toBe('deviceId')
    expect(seen[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//)
  })

  it('SNS: surfaces a service error such as an unknown topic', async () => {
    const { server, url } = await serve(() => ({
      status: 404,
      body: '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>',
    }))
    servers.push(server)
    const client = new SNSClient({
      endpoint: url,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    })
    await expect(createSnsNotifier(client, 'arn:aws:sns:eu-west-2:123456789012:missing').notify(notification)).rejects.toMatchObject({
      name: 'NotFoundException',
    })
  })

  it('webhook: POSTs the notification as JSON and fails on a non-2xx answer', async () => {
    let status = 204
    const { server, url, seen } = await serve(() => ({ status, body: '' }))
    servers.push(server)
    const notifier = createWebhookNotifier(`${url}/hooks/twin`)
    await notifier.notify(notification)
    expect(seen[0]?.method).toBe('POST')
    expect(seen[0]?.url).toBe('/hooks/twin')
    expect(JSON.parse(seen[0]!.body)).toEqual(notification)
    status = 500
    await expect(notifier.notify(notification)).rejects.toMatchObject({ code: 'CLOUD_NOTIFY_FAILED' })
  })
})
