import { Stack } from 'aws-cdk-lib'
import * as glue from 'aws-cdk-lib/aws-glue'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import type { Construct } from 'constructs'

/** The OpenX JSON SerDe reads one JSON object per line, keys matched case-insensitively (Athena user guide, "OpenX JSON SerDe"). */
const JSON_STORAGE = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'FALSE' } },
}

/** The reference's position event detail (Amazon Location "Location Device Position Event"), lower-cased as Glue keeps names. */
const DETAIL = 'struct<eventtype:string,trackername:string,deviceid:string,sampletime:string,receivedtime:string,position:array<double>>'

/** Columns of the enriched objects (the cloud package's EnrichedPositionEvent), one object per file. */
const ENRICHED_COLUMNS: glue.CfnTable.ColumnProperty[] = [
  { name: 'eventtype', type: 'string' },
  { name: 'trackername', type: 'string' },
  { name: 'deviceid', type: 'string' },
  { name: 'sampletime', type: 'string' },
  { name: 'receivedtime', type: 'string' },
  { name: 'position', type: 'array<double>' },
  { name: 'meetsemissionstandards', type: 'boolean' },
  { name: 'mileage', type: 'double' },
  { name: 'purchasedate', type: 'string' },
]
const POSITION_COLUMNS: glue.CfnTable.ColumnProperty[] = [
  { name: 'id', type: 'string' },
  { name: 'source', type: 'string' },
  { name: 'time', type: 'string' },
  { name: 'detail', type: DETAIL },
]

export interface LakeTablesProps {
  readonly bucket: s3.IBucket
  readonly databaseName: string
  readonly database: glue.CfnDatabase
  readonly positionsPrefix: string
  readonly enrichedPrefix: string
  /** First year the date partitions of `positions_by_device` project. @default 2020 */
  readonly firstYear?: number
}

/**
 * Declared Glue tables, so no crawler has to run before a query and a new object is queryable at once:
 * - `positions` and `enriched` over their whole prefix, for the fleet-wide zone queries (a table without partitions
 *   reads every object under its location, the Firehose date folders included);
 * - `positions_by_device` and `enriched_by_device` with partition projection, the DeviceId folder injected (`deviceid`;
 *   `device` in enriched, which has a `deviceid` column already) and the Firehose date folders projected as `day`, for one vehicle's history without scanning the fleet. Athena refuses a query on
 *   an injected column without a static `deviceid = …` filter (Athena user guide, "Use dynamic ID partitioning"), which
 *   is why the fleet-wide queries do not use them.
 */
export function declareLakeTables(scope: Construct, props: LakeTablesProps): glue.CfnTable[] {
  const stack = Stack.of(scope)
  const location = (prefix: string) => `s3://${props.bucket.bucketName}/${prefix}/`
  const table = (id: string, input: glue.CfnTable.TableInputProperty) => {
    const t = new glue.CfnTable(scope, id, { catalogId: stack.account, databaseName: props.databaseName, tableInput: input })
    t.addResourceDependency(props.database)
    return t
  }
  const external = (extra: Record<string, string> = {}) => ({ EXTERNAL: 'TRUE', classification: 'json', ...extra })
  const firstYear = props.firstYear ?? 2020
  return [
    table('PositionsTable', {
      name: 'positions',
      description: 'Raw Location Device Position Events (Firehose, GZIP NDJSON, <prefix>/<DeviceId>/<yyyy>/<MM>/<dd>/)',
      tableType: 'EXTERNAL_TABLE',
      parameters: external({ compressionType: 'gzip' }),
      storageDescriptor: { columns: POSITION_COLUMNS, location: location(props.positionsPrefix), ...JSON_STORAGE },
    }),
    table('EnrichedTable', {
      name: 'enriched',
      description: 'Enriched position events, one JSON object per event (<prefix>/<DeviceId>/<SampleTime>-<uuid>.json)',
      tableType: 'EXTERNAL_TABLE',
      parameters: external(),
      storageDescriptor: { columns: ENRICHED_COLUMNS, location: location(props.enrichedPrefix), ...JSON_STORAGE },
    }),
    table('PositionsByDeviceTable', {
      name: 'positions_by_device',
      description: 'positions, partitioned by projection: deviceid injected (filter on it), day projected from the folders',
      tableType: 'EXTERNAL_TABLE',
      partitionKeys: [
        { name: 'deviceid', type: 'string' },
        { name: 'day', type: 'string' },
      ],
      parameters: external({
        compressionType: 'gzip',
        'projection.enabled': 'true',
        'projection.deviceid.type': 'injected',
        'projection.day.type': 'date',
        'projection.day.format': 'yyyy/MM/dd',
        'projection.day.range': `${firstYear}/01/01,NOW`,
        'projection.day.interval': '1',
        'projection.day.interval.unit': 'DAYS',
        'storage.location.template': `${location(props.positionsPrefix)}\${deviceid}/\${day}/`,
      }),
      storageDescriptor: { columns: POSITION_COLUMNS, location: location(props.positionsPrefix), ...JSON_STORAGE },
    }),
    table('EnrichedByDeviceTable', {
      name: 'enriched_by_device',
      description: 'enriched, partitioned by projection: device (the DeviceId folder) injected (filter on it)',
      tableType: 'EXTERNAL_TABLE',
      partitionKeys: [{ name: 'device', type: 'string' }],
      parameters: external({
        'projection.enabled': 'true',
        'projection.device.type': 'injected',
        'storage.location.template': `${location(props.enrichedPrefix)}\${device}/`,
      }),
      storageDescriptor: { columns: ENRICHED_COLUMNS, location: location(props.enrichedPrefix), ...JSON_STORAGE },
    }),
  ]
}
