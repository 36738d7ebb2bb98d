/** Something the composition root starts and must close on shutdown. */
export interface Closable {
  close(): Promise<void>
}

/**
 * Closes `components` in reverse order on the first SIGTERM or SIGINT (a second signal exits at once).
 * `done` resolves once everything is closed; `shutdown` triggers the same sequence programmatically.
 */
export function closeOnSignals(
  components: readonly Closable[],
  log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`),
): { done: Promise<void>; shutdown: () => Promise<void> } {
  let closing: Promise<void> | undefined
  let markDone: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    markDone = resolve
  })
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      try {
        for (const c of [...components].reverse()) await c.close()
      } finally {
        process.off('SIGTERM', onSignal)
        process.off('SIGINT', onSignal)
        markDone()
      }
    })()
    return closing
  }
  let signalled = false
  function onSignal(signal: NodeJS.Signals): void {
    if (signalled) process.exit(130)
    signalled = true
    log(`${signal} received, shutting down`)
    void shutdown()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  return { done, shutdown }
}
