import { RemovalPolicy } from 'aws-cdk-lib'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import { Construct } from 'constructs'
import { requirePattern } from '../validate.js'

export interface MaintenanceTableProps {
  /** @default 'edgetwin-vehicle-maintenance' */
  readonly tableName?: string
  /** The partition key: the vehicle's device id. @default 'DeviceId' */
  readonly partitionKeyName?: string
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy
}

/** Vehicle maintenance records (MeetsEmissionStandards, Mileage, PurchaseDate), on demand, PITR and encrypted. */
export class MaintenanceTable extends Construct {
  readonly table: dynamodb.Table

  constructor(scope: Construct, id: string, props: MaintenanceTableProps = {}) {
    super(scope, id)
    const tableName = props.tableName ?? 'edgetwin-vehicle-maintenance'
    const partitionKeyName = props.partitionKeyName ?? 'DeviceId'
    requirePattern(this.node.path, 'tableName', tableName, /^[a-zA-Z0-9_.-]{3,255}$/, '3-255 characters of [a-zA-Z0-9_.-]')
    requirePattern(this.node.path, 'partitionKeyName', partitionKeyName, /^.{1,255}$/, '1-255 characters')
    this.table = new dynamodb.Table(this, 'Table', {
      tableName,
      partitionKey: { name: partitionKeyName, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    })
  }
}
