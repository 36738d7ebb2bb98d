import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'

/** What the twin loop tells people: an anomaly, a decision, or that no candidate was good enough. */
export interface TwinNotification {
  readonly subject: string
  readonly deviceId: string
  readonly kind: 'anomaly' | 'decision' | 'no-action' | 'failure'
  readonly message: string
  readonly details?: Record<string, unknown>
}

/** Notifier port: a log or a webhook locally, SNS on AWS. */
export interface Notifier {
  notify(notification: TwinNotification): Promise<void>
}

export function createLogNotifier(log: Logger): Notifier {
  return {
    async notify(n) {
      log.warn({ deviceId: n.deviceId, kind: n.kind, details: n.details }, `${n.subject}: ${n.message}`)
    },
  }
}

/** POSTs the notification as JSON; a non-2xx answer is an error (the caller decides whether to retry). */
export function createWebhookNotifier(url: string, options: { timeoutMs?: number; fetchImpl?: typeof fetch } = {}): Notifier {
  const doFetch = options.fetchImpl ?? fetch
  return {
    async notify(n) {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(n),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      })
      if (!res.ok) throw new CloudError('CLOUD_NOTIFY_FAILED', `webhook ${url} answered ${res.status}`)
    },
  }
}

/** SNS `Publish`: the subject is limited to 100 printable ASCII characters (SNS API reference). */
export function createSnsNotifier(client: SNSClient, topicArn: string): Notifier {
  return {
    async notify(n) {
      const subject = n.subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100)
      await client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: subject,
          Message: JSON.stringify(n),
          MessageAttributes: {
            deviceId: { DataType: 'String', StringValue: n.deviceId },
            kind: { DataType: 'String', StringValue: n.kind },
          },
        }),
      )
    },
  }
}
