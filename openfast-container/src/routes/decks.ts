import { DeckUploadResponse } from '@edgetwin/shared-schemas'
import type { MultipartFile } from '@fastify/multipart'
import { DispatchError } from '../errors.js'
import type { UploadedFile } from '../store/deck-store.js'
import { bearerSecurity, type DispatchApp, errorResponses, inline, type RouteContext } from './context.js'

/** The OpenAPI description of the multipart body (documentation only: the parts are checked as they stream). */
const DeckUploadBody = {
  type: 'object',
  properties: {
    files: {
      type: 'array',
      items: { type: 'string', format: 'binary' },
      description: "the deck's files; each part's filename is its path in the deck (`Airfoils/DU21_A17.dat`), one .fst at the top",
    },
  },
}

async function* fileParts(parts: AsyncIterable<MultipartFile | { type: 'field'; fieldname: string }>): AsyncIterable<UploadedFile> {
  for await (const part of parts) {
    if (part.type !== 'file') throw new DispatchError('DISPATCH_DECK_INVALID', `unexpected form field '${part.fieldname}': send files only`)
    yield { filename: part.filename, file: part.file }
  }
}

/** `POST /decks`: upload an OpenFAST input deck (multipart/form-data) to run later with `PUT /execute`. */
export function registerDeckRoutes(app: DispatchApp, ctx: RouteContext): void {
  app.post(
    '/decks',
    {
      // The multipart body is streamed and checked part by part, not validated as a whole.
      validatorCompiler: () => () => true,
      schema: {
        summary: 'upload an OpenFAST input deck (multipart/form-data); answers 201 with the deckId for PUT /execute',
        tags: ['decks'],
        security: bearerSecurity,
        consumes: ['multipart/form-data'],
        body: DeckUploadBody,
        response: { 201: inline(DeckUploadResponse), ...errorResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw new DispatchError('DISPATCH_INVALID_REQUEST', 'send the deck as multipart/form-data')
      const parts = request.parts({ limits: { fileSize: ctx.uploadLimitBytes, files: ctx.maxDeckFiles + 1, fields: 0 } })
      const deck = await ctx.decks.save(fileParts(parts))
      return reply.status(201).send(deck)
    },
  )
}
