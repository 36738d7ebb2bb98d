import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SIMULATION_ID_PATTERN } from '@edgetwin/shared-schemas'
import { checkDeckReferences } from '../deck/prepare-deck.js'
import { DispatchError } from '../errors.js'
import { checkDeckFileName, resolveInside } from '../paths.js'

/** One uploaded file as the multipart parser gives it: a client-supplied name and a byte stream. */
export interface UploadedFile {
  readonly filename: string
  readonly file: NodeJS.ReadableStream
}

export interface DeckStoreOptions {
  readonly decksDir: string
  readonly maxFiles: number
  readonly maxTotalBytes: number
}

export interface StoredDeck {
  readonly deckId: string
  readonly entryFile: string
  readonly files: string[]
}

const idPattern = new RegExp(SIMULATION_ID_PATTERN)

/**
 * Uploaded OpenFAST decks, one folder per deck under `decksDir`. Every client-supplied file name is checked
 * (`checkDeckFileName`) and every resolved path proven inside the deck folder before a byte is written; a deck
 * that fails any check is removed whole.
 */
export class DeckStore {
  readonly #o: DeckStoreOptions

  constructor(options: DeckStoreOptions) {
    this.#o = options
  }

  async dir(deckId: string): Promise<string> {
    if (!idPattern.test(deckId)) throw new DispatchError('DISPATCH_NOT_FOUND', `no deck with id '${deckId}'`)
    const dir = resolveInside(this.#o.decksDir, deckId)
    const found = await stat(dir).catch(() => undefined)
    if (!found?.isDirectory()) throw new DispatchError('DISPATCH_NOT_FOUND', `no deck with id '${deckId}'`)
    return dir
  }

  async save(files: AsyncIterable<UploadedFile>): Promise<StoredDeck> {
    const deckId = `deck-${randomUUID()}`
    const dir = resolveInside(this.#o.decksDir, deckId)
    await mkdir(dir, { recursive: true })
    try {
      const names = await this.#writeAll(dir, files)
      const entries = names.filter((n) => !n.includes('/') && n.toLowerCase().endsWith('.fst'))
      if (entries.length !== 1) {
        throw new DispatchError('DISPATCH_DECK_INVALID', `a deck needs exactly one .fst file at its top level, got ${entries.length}`)
      }
      await checkDeckReferences(dir, entries[0])
      return { deckId, entryFile: entries[0], files: names }
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      throw err
    }
  }

  async #writeAll(dir: string, files: AsyncIterable<UploadedFile>): Promise<string[]> {
    const names: string[] = []
    let totalBytes = 0
    const limit = this.#o.maxTotalBytes
    for await (const part of files) {
      const name = checkDeckFileName(part.filename)
      if (names.includes(name)) throw new DispatchError('DISPATCH_DECK_INVALID', `file ${JSON.stringify(name)} appears twice`)
      if (names.length >= this.#o.maxFiles) {
        throw new DispatchError('DISPATCH_PAYLOAD_TOO_LARGE', `a deck may have at most ${this.#o.maxFiles} files`)
      }
      const target = resolveInside(dir, name)
      await mkdir(dirname(target), { recursive: true })
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          totalBytes += chunk.length
          if (totalBytes > limit) done(new DispatchError('DISPATCH_PAYLOAD_TOO_LARGE', `deck upload exceeds ${limit} bytes`))
          else done(null, chunk)
        },
      })
      // 'wx': never overwrite, never follow a pre-existing link at the target.
      await pipeline(part.file, counter, createWriteStream(target, { flags: 'wx' }))
      names.push(name)
    }
    if (names.length === 0) throw new DispatchError('DISPATCH_DECK_INVALID', 'the upload holds no files')
    return names
  }
}
