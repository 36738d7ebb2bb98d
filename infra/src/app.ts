import { readFileSync } from 'node:fs'
import { App } from 'aws-cdk-lib'
import { readContext } from './context.js'
import { type NamedQuerySpec, validateNamedQueries } from './named-queries.js'
import { DEFAULT_ZONE_FILE, DISPATCH_DOCKERFILE, entryPath, REPO_ROOT } from './paths.js'
import { EdgetwinStack } from './stack.js'

/** What the cloud package offers for the Athena named queries, if it offers it yet. */
export type NamedQuerySource = (zone: unknown, options: { database: string }) => unknown

/**
 * The cloud package's `athenaNamedQueries(zone, options)`, or undefined when it does not export one. Loaded by a
 * computed specifier so that the CDK app builds without a type dependency on the cloud package.
 */
export async function loadNamedQuerySource(): Promise<NamedQuerySource | undefined> {
  const specifier = '@edgetwin/cloud'
  const mod = (await import(specifier)) as Record<string, unknown>
  return typeof mod.athenaNamedQueries === 'function' ? (mod.athenaNamedQueries as NamedQuerySource) : undefined
}

export interface BuildAppOptions {
  readonly app?: App
  readonly namedQuerySource?: NamedQuerySource
}

/** The CDK app: one stack, the real handler entries, the ULEZ zone, the dispatch image from `Dockerfile.openfast`. */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: EdgetwinStack; namedQueries: NamedQuerySpec[] } {
  const app = options.app ?? new App()
  const context = readContext((key) => app.node.tryGetContext(key))
  const zone: unknown = JSON.parse(readFileSync(DEFAULT_ZONE_FILE, 'utf8'))
  const database = 'edgetwin'
  const namedQueries = options.namedQuerySource
    ? validateNamedQueries(options.namedQuerySource(zone, { database }), '@edgetwin/cloud athenaNamedQueries')
    : []
  const stack = new EdgetwinStack(app, context.stackName, {
    description: 'edgetwin: IoT ingest, fleet location analytics and the turbine digital twin',
    entries: { router: entryPath('router'), enrichment: entryPath('enrichment'), detector: entryPath('detector'), postProcessor: entryPath('postProcessor') },
    imageDirectory: REPO_ROOT,
    imageFile: DISPATCH_DOCKERFILE,
    zone,
    namedQueries,
    timeSeries: context.timeSeries,
    basicIngest: context.basicIngest,
  })
  return { app, stack, namedQueries }
}
