import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as athena from 'aws-cdk-lib/aws-athena'
import * as glue from 'aws-cdk-lib/aws-glue'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as s3 from 'aws-cdk-lib/aws-s3'
import { Construct } from 'constructs'
import type { NamedQuerySpec } from '../named-queries.js'
import { validateNamedQueries } from '../named-queries.js'
import { requireIntegerInRange, requireOrdered, requirePattern } from '../validate.js'
import { declareLakeTables } from './lake-tables.js'
import { PartitionedFirehose } from './partitioned-firehose.js'

export interface DataLakeProps {
  /** Physical-name prefix of the delivery streams, Glue database and workgroup. @default 'edgetwin' */
  readonly namePrefix?: string
  /** Prefix of the raw position events (Firehose target of the EventBridge rule). @default 'positions' */
  readonly positionsPrefix?: string
  /** Prefix of the enriched objects the enrichment function writes. @default 'enriched' */
  readonly enrichedPrefix?: string
  /** Prefix of the router's archive of every batch. @default 'archive' */
  readonly archivePrefix?: string
  /** jq path of the device id in the router's archive records (the cloud package's `ArchiveRecord.DeviceId`). @default '.DeviceId' */
  readonly archiveDeviceIdQuery?: string
  /** Days before objects move to S3 Standard-IA (at least 30). @default 30 */
  readonly infrequentAccessAfterDays?: number
  /** Days before objects move to Glacier Instant Retrieval. @default 90 */
  readonly glacierAfterDays?: number
  /** Days before Firehose error output and Athena results expire. @default 30 */
  readonly scratchExpiryDays?: number
  /** The zone analytics queries (the cloud package's `athenaNamedQueries`). @default [] */
  readonly namedQueries?: readonly NamedQuerySpec[]
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy
}

/**
 * The analytics lake: one encrypted, private, TLS-only bucket with lifecycle rules; Firehose streams for the raw
 * position events and the router archive; a Glue database with declared tables over the positions and enriched
 * prefixes (lake-tables.ts) and a crawler over the archive only; an Athena workgroup holding the zone analytics as
 * named queries.
 */
export class DataLake extends Construct {
  readonly bucket: s3.Bucket
  readonly positions: PartitionedFirehose
  readonly archive: PartitionedFirehose
  readonly databaseName: string
  readonly workGroupName: string
  readonly enrichedPrefix: string

  constructor(scope: Construct, id: string, props: DataLakeProps = {}) {
    super(scope, id)
    const where = this.node.path
    const namePrefix = props.namePrefix ?? 'edgetwin'
    requirePattern(where, 'namePrefix', namePrefix, /^[a-z][a-z0-9-]{0,30}$/, '1-31 characters of [a-z0-9-], starting with a letter')
    const infrequentAccessAfterDays = props.infrequentAccessAfterDays ?? 30
    const glacierAfterDays = props.glacierAfterDays ?? 90
    const scratchExpiryDays = props.scratchExpiryDays ?? 30
    requireIntegerInRange(where, 'infrequentAccessAfterDays', infrequentAccessAfterDays, 30, 36_500)
    requireIntegerInRange(where, 'glacierAfterDays', glacierAfterDays, 1, 36_500)
    requireIntegerInRange(where, 'scratchExpiryDays', scratchExpiryDays, 1, 36_500)
    requireOrdered(where, 'infrequentAccessAfterDays', infrequentAccessAfterDays, 'glacierAfterDays', glacierAfterDays)
    const positionsPrefix = props.positionsPrefix ?? 'positions'
    this.enrichedPrefix = props.enrichedPrefix ?? 'enriched'
    const archivePrefix = props.archivePrefix ?? 'archive'
    const queries = validateNamedQueries(props.namedQueries ?? [], `${where} namedQueries`)

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'tiering',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(infrequentAccessAfterDays) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(glacierAfterDays) },
          ],
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        { id: 'firehose-errors', prefix: 'errors/', expiration: Duration.days(scratchExpiryDays) },
        { id: 'athena-results', prefix: 'athena-results/', expiration: Duration.days(scratchExpiryDays) },
      ],
    })

    this.positions = new PartitionedFirehose(this, 'PositionsFirehose', {
      bucket: this.bucket,
      deliveryStreamName: `${namePrefix}-positions`,
      prefix: positionsPrefix,
      deviceIdQuery: '.detail.DeviceId',
      // EventBridge hands Firehose one event per record, without a line end.
      appendNewline: true,
    })
    this.archive = new PartitionedFirehose(this, 'ArchiveFirehose', {
      bucket: this.bucket,
      deliveryStreamName: `${namePrefix}-archive`,
      prefix: archivePrefix,
      deviceIdQuery: props.archiveDeviceIdQuery ?? '.DeviceId',
      // The router ends every archived line with '\n' itself (cloud ArchiveRecord); another would leave blank lines.
      appendNewline: false,
    })

    const stack = Stack.of(this)
    this.databaseName = namePrefix.replaceAll('-', '_')
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'edgetwin position events, enriched events and archive' },
    })
    declareLakeTables(this, {
      bucket: this.bucket,
      databaseName: this.databaseName,
      database,
      positionsPrefix,
      enrichedPrefix: this.enrichedPrefix,
    })
    // The archive holds every stream's records, whose shapes differ: its schema is discovered. A crawler that
    // updates the catalogue must crawl everything (Glue refuses CRAWL_NEW_FOLDERS_ONLY unless both schema change
    // behaviours are LOG, and then new columns would never appear).
    const crawlerRole = new iam.Role(this, 'CrawlerRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSGlueServiceRole')],
    })
    this.bucket.grantRead(crawlerRole, `${archivePrefix}/*`)
    new glue.CfnCrawler(this, 'Crawler-archive', {
      name: `${namePrefix}-archive`,
      role: crawlerRole.roleArn,
      databaseName: this.databaseName,
      targets: { s3Targets: [{ path: `s3://${this.bucket.bucketName}/${archivePrefix}/` }] },
      schedule: { scheduleExpression: 'cron(15 * * * ? *)' },
      schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
      recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
    }).addResourceDependency(database)

    this.workGroupName = `${namePrefix}-analytics`
    const workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/athena-results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    })
    for (const [index, query] of queries.entries()) {
      const named = new athena.CfnNamedQuery(this, `Query${index}`, {
        name: query.name,
        description: query.description,
        queryString: query.queryString,
        database: this.databaseName,
        workGroup: this.workGroupName,
      })
      named.addResourceDependency(workGroup)
      named.addResourceDependency(database)
    }
  }
}
