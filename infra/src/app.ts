import { readFileSync } from 'node:fs'
import { App } from 'aws-cdk-lib'
import { IMAGE_ASSET_EXCLUDES } from './constructs/twin.js'
import { readContext } from './context.js'
import { InfraError } from './errors.js'
import { type NamedQuerySpec, validateNamedQueries } from './named-queries.js'
import { DEFAULT_ZONE_FILE, DISPATCH_DOCKERFILE, entryPath, missingAppInputs, REPO_ROOT } from './paths.js'
import { EdgetwinStack } from './stack.js'

/** Names the queries need: the Glue database and the tables the crawlers make (named after the S3 prefixes). */
export interface NamedQueryTables {
  readonly database: string
  readonly archiveTable: string
  readonly enrichedTable: string
}

/** Builds the named queries for a GeoJSON zone (the cloud package's analytics, when it offers them). */
export type NamedQuerySource = (zoneGeoJson: unknown, tables: NamedQueryTables) => unknown

/**
 * The cloud package's `athenaNamedQueries(zone, options)`, or undefined when it does not export one. Loaded by a
 * computed specifier so that the CDK app builds without a type dependency on the cloud package.
 */
export async function loadNamedQuerySource(): Promise<NamedQuerySource | undefined> {
  const specifier = '@edgetwin/cloud'
  const mod = (await import(specifier)) as Record<string, unknown>
  const queries = mod.athenaNamedQueries
  const zoneFromGeoJson = mod.zoneFromGeoJson
  if (typeof queries !== 'function' || typeof zoneFromGeoJson !== 'function') return undefined
  // athenaNamedQueries(zone: Zone, options) takes the cloud package's parsed zone, not raw GeoJSON.
  return (geoJson, tables) => queries(zoneFromGeoJson(geoJson, 'ulez-2021-expansion'), tables)
}

/**
 * Workspaces `Dockerfile.openfast` does not copy: leaving them out of the context keeps the image hash (and so the
 * image) unchanged when only they change. A Dockerfile that starts copying one of them fails its build loudly.
 */
export const PACKAGES_NOT_IN_IMAGE = ['agent', 'cloud', 'simulator', 'cli', 'infra', 'test', 'docs'] as const

/** The lake's defaults: database `edgetwin`, the declared tables `positions` and `enriched` (lake-tables.ts). */
export const NAMED_QUERY_TABLES: NamedQueryTables = { database: 'edgetwin', archiveTable: 'positions', enrichedTable: 'enriched' }

export interface BuildAppOptions {
  readonly app?: App
  readonly namedQuerySource?: NamedQuerySource
  /** Where the app's input files are looked for. @default the repository root */
  readonly inputsRoot?: string
}

/** The CDK app: one stack, the real handler entries, the ULEZ zone, the dispatch image from `Dockerfile.openfast`. */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: EdgetwinStack; namedQueries: NamedQuerySpec[] } {
  const root = options.inputsRoot ?? REPO_ROOT
  const missing = missingAppInputs(root)
  if (missing.length > 0) {
    throw new InfraError('INFRA_INPUT_MISSING', `the app needs ${missing.join(', ')} (relative to ${root}); received no such file`)
  }
  const app = options.app ?? new App()
  const context = readContext((key) => app.node.tryGetContext(key))
  const zone: unknown = JSON.parse(readFileSync(DEFAULT_ZONE_FILE, 'utf8'))
  const namedQueries = options.namedQuerySource
    ? validateNamedQueries(options.namedQuerySource(zone, NAMED_QUERY_TABLES), '@edgetwin/cloud athenaNamedQueries')
    : []
  const stack = new EdgetwinStack(app, context.stackName, {
    description: 'edgetwin: IoT ingest, fleet location analytics and the turbine digital twin',
    entries: {
      router: entryPath('router'),
      enrichment: entryPath('enrichment'),
      detector: entryPath('detector'),
      postProcessor: entryPath('postProcessor'),
      preProvisioningHook: entryPath('preProvisioningHook'),
    },
    imageDirectory: REPO_ROOT,
    imageFile: DISPATCH_DOCKERFILE,
    imageExcludes: [...IMAGE_ASSET_EXCLUDES, ...PACKAGES_NOT_IN_IMAGE],
    zone,
    namedQueries,
    timeSeries: context.timeSeries,
    basicIngest: context.basicIngest,
    dispatchCertificateArn: context.dispatchCertificateArn,
    dispatchDomainName: context.dispatchDomainName,
    turbineThingNames: context.turbineThingNames,
  })
  return { app, stack, namedQueries }
}
