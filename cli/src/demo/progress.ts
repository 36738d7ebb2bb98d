/** Where progress goes: a terminal gets one line redrawn in place, anything else gets plain lines. */
export interface ProgressOutput {
  write(text: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

export interface ProgressOptions {
  readonly output: ProgressOutput
  /** How often the status is shown: redrawn on a terminal, printed as a line otherwise when nothing else was. @default 1000 on a TTY, 5000 otherwise (a log file wants fewer lines) */
  readonly intervalMs?: number
  /** @default Date.now */
  readonly nowMs?: () => number
}

/**
 * The demo's voice while it works: `log` prints a line that stays; `task` names a step and resets its ETA;
 * `update` says what is happening and, when known, how far along (0–1). A status line with the step, a bar,
 * the elapsed time and an ETA appears at least every `intervalMs`, so a long step never looks like a hang.
 */
export interface Progress {
  log(line: string): void
  task(name: string): void
  update(detail: string, fraction?: number): void
  close(): void
}

const BAR_WIDTH = 20

function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
}

/** The status text: `turbines ▕██████░░░░▏ 31% · detail · 42 s, about 1 min 33 s left`. */
export function formatStatus(s: { task: string; detail: string; fraction?: number; elapsedMs: number }, bar: boolean): string {
  const parts = [s.task]
  if (s.fraction !== undefined) {
    const f = Math.min(1, Math.max(0, s.fraction))
    const filled = Math.round(f * BAR_WIDTH)
    parts[0] = `${s.task}${bar ? ` ▕${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}▏` : ''} ${Math.floor(f * 100)}%`
  }
  if (s.detail) parts.push(s.detail)
  // The ETA assumes the rest goes as fast as what is done; it is shown once there is something to go on.
  const eta =
    s.fraction !== undefined && s.fraction >= 0.02 && s.fraction < 1
      ? `, about ${seconds((s.elapsedMs * (1 - s.fraction)) / s.fraction)} left`
      : ''
  parts.push(`${seconds(s.elapsedMs)}${eta}`)
  return parts.join(' · ')
}

export function createProgress(options: ProgressOptions): Progress {
  const out = options.output
  const tty = out.isTTY === true
  const now = options.nowMs ?? Date.now
  const intervalMs = options.intervalMs ?? (tty ? 1000 : 5000)
  let task = ''
  let detail = ''
  let fraction: number | undefined
  let taskStartMs = now()
  let lastPrintMs = now()
  let drawn = false

  const status = () => formatStatus({ task, detail, fraction, elapsedMs: now() - taskStartMs }, tty)
  const clearLine = () => {
    if (drawn) out.write('\r\x1b[K')
    drawn = false
  }
  const draw = () => {
    if (!task) return
    if (tty) {
      const text = status()
      // One line that fits, or the next redraw starts on a wrapped line; a terminal too narrow to say anything gets it all.
      const width = out.columns !== undefined && out.columns >= 40 ? out.columns : Number.POSITIVE_INFINITY
      clearLine()
      out.write(text.length >= width ? `${text.slice(0, width - 2)}…` : text)
      drawn = true
    } else if (now() - lastPrintMs >= intervalMs) {
      out.write(`  … ${status()}\n`)
      lastPrintMs = now()
    }
  }
  const timer = setInterval(draw, tty ? intervalMs : Math.min(intervalMs, 500))
  timer.unref()

  return {
    log(line) {
      clearLine()
      out.write(`${line}\n`)
      lastPrintMs = now()
      if (tty) draw()
    },
    task(name) {
      task = name
      detail = ''
      fraction = undefined
      taskStartMs = now()
      if (tty) draw()
    },
    update(d, f) {
      detail = d
      fraction = f
    },
    close() {
      clearInterval(timer)
      clearLine()
    },
  }
}
