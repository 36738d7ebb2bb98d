import type { CloudConfig } from '@edgetwin/shared-schemas'
import { RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import * as timestream from 'aws-cdk-lib/aws-timestream'
import { Construct } from 'constructs'
import { InfraError } from '../errors.js'
import { requireIntegerInRange, requireOneOf, requirePattern } from '../validate.js'

export const TIME_SERIES_ENGINES = ['timestream', 'influxdb'] as const
export type TimeSeriesEngine = (typeof TIME_SERIES_ENGINES)[number]

export interface TurbineTimeSeriesProps {
  /**
   * `timestream` (LiveAnalytics: database + table) or `influxdb` (Timestream for InfluxDB). LiveAnalytics has been
   * closed to new customers since 2025-06-20; new accounts choose `influxdb`.
   * @default 'timestream'
   */
  readonly engine?: TimeSeriesEngine
  /** @default 'edgetwin' */
  readonly databaseName?: string
  /** @default 'turbine_metrics' */
  readonly tableName?: string
  /** LiveAnalytics memory store retention, 1-8,766 hours. @default 24 */
  readonly memoryRetentionHours?: number
  /** LiveAnalytics magnetic store retention, 1-73,000 days. @default 365 */
  readonly magneticRetentionDays?: number
  /** Required for `influxdb`: the instance lives in its private subnets. @default - none */
  readonly vpc?: ec2.IVpc
  /** @default 'db.influx.medium' */
  readonly influxInstanceType?: string
  /** GiB, 20-16,384. @default 20 */
  readonly influxStorageGiB?: number
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy
}

/**
 * The turbine time series store: a Timestream LiveAnalytics database and table with retention, or (context flag
 * `timeSeries=influxdb`) a Timestream for InfluxDB instance in private subnets. `configFragment` is the
 * matching `timeSeries` section of the cloud configuration.
 */
export class TurbineTimeSeries extends Construct {
  readonly engine: TimeSeriesEngine
  readonly configFragment: CloudConfig['timeSeries']
  readonly table?: timestream.CfnTable
  readonly influx?: timestream.CfnInfluxDBInstance
  readonly influxSecurityGroup?: ec2.SecurityGroup
  private readonly databaseName: string
  private readonly tableName: string

  constructor(scope: Construct, id: string, props: TurbineTimeSeriesProps = {}) {
    super(scope, id)
    const where = this.node.path
    this.engine = props.engine ?? 'timestream'
    requireOneOf(where, 'engine', this.engine, TIME_SERIES_ENGINES)
    this.databaseName = props.databaseName ?? 'edgetwin'
    this.tableName = props.tableName ?? 'turbine_metrics'
    requirePattern(where, 'databaseName', this.databaseName, /^[a-zA-Z0-9_.-]{3,64}$/, '3-64 characters of [a-zA-Z0-9_.-]')
    requirePattern(where, 'tableName', this.tableName, /^[a-zA-Z0-9_.-]{3,64}$/, '3-64 characters of [a-zA-Z0-9_.-]')
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN

    if (this.engine === 'timestream') {
      const memoryRetentionHours = props.memoryRetentionHours ?? 24
      const magneticRetentionDays = props.magneticRetentionDays ?? 365
      requireIntegerInRange(where, 'memoryRetentionHours', memoryRetentionHours, 1, 8766)
      requireIntegerInRange(where, 'magneticRetentionDays', magneticRetentionDays, 1, 73_000)
      const database = new timestream.CfnDatabase(this, 'Database', { databaseName: this.databaseName })
      database.applyRemovalPolicy(removalPolicy)
      this.table = new timestream.CfnTable(this, 'Table', {
        databaseName: this.databaseName,
        tableName: this.tableName,
        retentionProperties: {
          MemoryStoreRetentionPeriodInHours: String(memoryRetentionHours),
          MagneticStoreRetentionPeriodInDays: String(magneticRetentionDays),
        },
        // Outboxes replay old records after an outage; records older than the memory store need magnetic writes.
        magneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
      })
      this.table.addResourceDependency(database)
      this.table.applyRemovalPolicy(removalPolicy)
      this.configFragment = { adapter: 'timestream', timestream: { database: this.databaseName, table: this.tableName } }
      return
    }

    if (!props.vpc) throw new InfraError('INFRA_INVALID_PROP', `${where}: vpc is required when engine is 'influxdb'; received none`)
    const storageGiB = props.influxStorageGiB ?? 20
    requireIntegerInRange(where, 'influxStorageGiB', storageGiB, 20, 16_384)
    const name = this.databaseName.replace(/[^a-zA-Z0-9-]/g, '-')
    requirePattern(
      where,
      'databaseName (as instance name)',
      name,
      /^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$/,
      'a name that starts with a letter',
    )
    const password = new secretsmanager.Secret(this, 'AdminPassword', {
      description: 'edgetwin InfluxDB initial admin password',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    })
    this.influxSecurityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, allowAllOutbound: false })
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS })
    this.influx = new timestream.CfnInfluxDBInstance(this, 'Influx', {
      name,
      dbInstanceType: props.influxInstanceType ?? 'db.influx.medium',
      dbStorageType: 'InfluxIOIncludedT1',
      allocatedStorage: storageGiB,
      deploymentType: 'SINGLE_AZ',
      organization: 'edgetwin',
      bucket: this.tableName,
      username: 'edgetwin-admin',
      password: password.secretValue.unsafeUnwrap(),
      publiclyAccessible: false,
      port: 8086,
      vpcSubnetIds: subnets.subnetIds,
      vpcSecurityGroupIds: [this.influxSecurityGroup.securityGroupId],
    })
    this.influx.applyRemovalPolicy(removalPolicy)
    this.configFragment = {
      adapter: 'influxdb',
      influx: {
        url: `https://${this.influx.attrEndpoint}:8086`,
        apiVersion: 2,
        org: 'edgetwin',
        bucket: this.tableName,
        tokenEnv: 'EDGETWIN_INFLUX_TOKEN',
      },
    }
  }

  /** The secret Timestream for InfluxDB keeps the instance's credentials in; undefined for LiveAnalytics. */
  get influxAuthSecretArn(): string | undefined {
    return this.influx?.attrInfluxAuthParametersSecretArn
  }

  /** Lets `grantee` write records (and, with `read`, query them); for InfluxDB also opens the port to its security group. */
  grantAccess(grantee: iam.IGrantable & Partial<ec2.IConnectable>, access: 'write' | 'read'): void {
    if (this.influx) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['secretsmanager:GetSecretValue'],
        resourceArns: [this.influx.attrInfluxAuthParametersSecretArn],
      })
      if (grantee.connections && this.influxSecurityGroup)
        this.influxSecurityGroup.connections.allowFrom(grantee.connections, ec2.Port.tcp(8086))
      return
    }
    const stack = Stack.of(this)
    const tableArn = stack.formatArn({
      service: 'timestream',
      resource: 'database',
      resourceName: `${this.databaseName}/table/${this.tableName}`,
    })
    // Query (the twin's reader) is authorized as Select on the tables a statement reads.
    const actions = access === 'write' ? ['timestream:WriteRecords'] : ['timestream:Select']
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [tableArn] })
    // DescribeEndpoints supports no resource-level permission (Timestream, "Actions, resources and condition keys").
    iam.Grant.addToPrincipal({ grantee, actions: ['timestream:DescribeEndpoints'], resourceArns: ['*'] })
  }
}
