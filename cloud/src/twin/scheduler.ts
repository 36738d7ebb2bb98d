import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'

/** A clock the scheduler reads: the wall clock, or a simulator's virtual clock. */
export interface SchedulerClock {
  now(): Date
}

export interface TwinSchedulerOptions {
  /** node-cron expression, e.g. every 10 minutes: `*\/10 * * * *`. */
  readonly schedule: string
  readonly tick: (at: Date) => Promise<unknown>
  readonly log: Logger
  /** Virtual time: evaluate the expression against this clock instead of the wall clock. */
  readonly virtualClock?: SchedulerClock
  /** How often (wall time) a virtual clock is looked at. @default 200 */
  readonly pollMs?: number
}

const MINUTE_MS = 60_000

/**
 * Runs the twin loop on a cron schedule. With the wall clock, node-cron schedules it. With a virtual clock,
 * the same node-cron expression is matched (`ScheduledTask.match`) against every virtual minute the clock
 * has passed, so a simulated week of 10-minute ticks runs in seconds, in order, none skipped.
 */
export class TwinScheduler {
  private readonly task: ScheduledTask
  private timer: NodeJS.Timeout | undefined
  private lastMinuteMs: number | undefined
  private advancing: Promise<void> = Promise.resolve()

  constructor(private readonly options: TwinSchedulerOptions) {
    if (!cron.validate(options.schedule)) {
      throw new CloudError('CLOUD_CONFIG_INVALID', `twin schedule '${options.schedule}' is not a valid cron expression`)
    }
    this.task = cron.createTask(options.schedule, (ctx) => this.run(ctx.date), { noOverlap: true })
  }

  start(): void {
    const clock = this.options.virtualClock
    if (!clock) {
      void this.task.start()
      return
    }
    this.lastMinuteMs = Math.floor(clock.now().getTime() / MINUTE_MS) * MINUTE_MS
    this.timer = setInterval(() => void this.advanceTo(clock.now()), this.options.pollMs ?? 200)
  }

  /** Runs every scheduled tick between the last one seen and `at` (virtual time), in order. */
  advanceTo(at: Date): Promise<void> {
    this.advancing = this.advancing.then(async () => {
      const target = Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS
      let minute = (this.lastMinuteMs ?? target - MINUTE_MS) + MINUTE_MS
      for (; minute <= target; minute += MINUTE_MS) {
        this.lastMinuteMs = minute
        const date = new Date(minute)
        if (this.task.match(date)) await this.run(date)
      }
    })
    return this.advancing
  }

  private async run(at: Date): Promise<void> {
    try {
      await this.options.tick(at)
    } catch (err) {
      // One failed evaluation must not stop the schedule; the next tick tries again.
      this.options.log.error({ err, at: at.toISOString() }, 'twin tick failed')
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.task.destroy()
    await this.advancing
  }
}
