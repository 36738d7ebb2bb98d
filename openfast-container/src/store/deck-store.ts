import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
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

/** Names of loadable libraries (`evil.so`, `libx.so.1`, `x.dll`, `x.dylib`): a deck holds input data, never code. */
const LIBRARY_NAME = /\.(so|dll|dylib)(\.[0-9]+)*$/i

/** Leading bytes of executables and shared objects: ELF, PE ("MZ"), Mach-O (both byte orders, 32/64-bit, universal). */
const EXECUTABLE_MAGIC = [
  Buffer.from([0x7f, 0x45, 0x4c, 0x46]),
  Buffer.from('MZ', 'latin1'),
  Buffer.from([0xfe, 0xed, 0xfa, 0xce]),
  Buffer.from([0xfe, 0xed, 0xfa, 0xcf]),
  Buffer.from([0xce, 0xfa, 0xed, 0xfe]),
  Buffer.from([0xcf, 0xfa, 0xed, 0xfe]),
  Buffer.from([0xca, 0xfe, 0xba, 0xbe]),
]

function refuseCode(name: string, head: Buffer): void {
  if (EXECUTABLE_MAGIC.some((m) => head.length >= m.length && head.subarray(0, m.length).equals(m))) {
    throw new DispatchError(
      'DISPATCH_DECK_INVALID',
      `file ${JSON.stringify(name)} is an executable or shared object: a deck holds input files only`,
    )
  }
}

/** A name that is another's folder (`Airfoils` and `Airfoils/x.dat`) cannot be both a file and a folder. */
function refuseFileFolderClash(name: string, names: readonly string[]): void {
  const clash = names.find((n) => n.startsWith(`${name}/`) || name.startsWith(`${n}/`))
  if (clash) {
    throw new DispatchError(
      'DISPATCH_DECK_INVALID',
      `files ${JSON.stringify(clash)} and ${JSON.stringify(name)} clash: a path cannot be both a file and a folder`,
    )
  }
}

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

  /** Deletes decks last modified before `cutoffMs` that no queued or running run uses; returns their ids. */
  async sweep(cutoffMs: number, inUse: ReadonlySet<string>): Promise<string[]> {
    const deleted: string[] = []
    for (const id of await readdir(this.#o.decksDir).catch(() => [] as string[])) {
      if (inUse.has(id) || !idPattern.test(id)) continue
      const dir = resolveInside(this.#o.decksDir, id)
      const modified = (await stat(dir).catch(() => undefined))?.mtimeMs
      if (modified !== undefined && modified < cutoffMs) {
        await rm(dir, { recursive: true, force: true })
        deleted.push(id)
      }
    }
    return deleted
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
      const name = checkDeckFileName(part.filename ?? '')
      if (names.includes(name)) throw new DispatchError('DISPATCH_DECK_INVALID', `file ${JSON.stringify(name)} appears twice`)
      if (LIBRARY_NAME.test(name)) {
        throw new DispatchError('DISPATCH_DECK_INVALID', `file ${JSON.stringify(name)} is a shared library: a deck holds input files only`)
      }
      refuseFileFolderClash(name, names)
      if (names.length >= this.#o.maxFiles) {
        throw new DispatchError('DISPATCH_PAYLOAD_TOO_LARGE', `a deck may have at most ${this.#o.maxFiles} files`)
      }
      const target = resolveInside(dir, name)
      await mkdir(dirname(target), { recursive: true })
      let head = Buffer.alloc(0)
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          if (head.length < 4) {
            head = Buffer.concat([head, chunk]).subarray(0, 4)
            try {
              refuseCode(name, head)
            } catch (err) {
              done(err as Error)
              return
            }
          }
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
