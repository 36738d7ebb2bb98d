import { Stack } from 'aws-cdk-lib'
import * as location from 'aws-cdk-lib/aws-location'
import * as cr from 'aws-cdk-lib/custom-resources'
import { Construct } from 'constructs'
import { zoneToGeofences } from '../geofence.js'
import { requirePattern } from '../validate.js'

export interface FleetLocationProps {
  /** Also the `tracker.trackerName` of the router's configuration. @default 'edgetwin-tracker' */
  readonly trackerName?: string
  /** @default 'edgetwin-zones' */
  readonly collectionName?: string
  /** A GeoJSON zone (Polygon, MultiPolygon, Feature or FeatureCollection) stored as geofences. @default - no geofence */
  readonly zone?: unknown
  /** Geofence id, or its prefix when the zone has several polygons. @default 'ulez-2021' */
  readonly geofenceId?: string
}

const NAME = /^[-._\w]{1,100}$/

/**
 * Amazon Location tracker with distance-based filtering (positions less than 30 m from the last stored one are
 * ignored) and EventBridge position events, plus a geofence collection holding the zone.
 */
export class FleetLocation extends Construct {
  readonly tracker: location.CfnTracker
  readonly collection: location.CfnGeofenceCollection
  readonly trackerName: string

  constructor(scope: Construct, id: string, props: FleetLocationProps = {}) {
    super(scope, id)
    const where = this.node.path
    this.trackerName = props.trackerName ?? 'edgetwin-tracker'
    const collectionName = props.collectionName ?? 'edgetwin-zones'
    requirePattern(where, 'trackerName', this.trackerName, NAME, '1-100 characters of [-._a-zA-Z0-9]')
    requirePattern(where, 'collectionName', collectionName, NAME, '1-100 characters of [-._a-zA-Z0-9]')
    const geofences = props.zone === undefined ? [] : zoneToGeofences(props.zone, props.geofenceId ?? 'ulez-2021')

    this.tracker = new location.CfnTracker(this, 'Tracker', {
      trackerName: this.trackerName,
      positionFiltering: 'DistanceBased',
      eventBridgeEnabled: true,
      description: 'edgetwin vehicle positions',
    })
    this.collection = new location.CfnGeofenceCollection(this, 'Geofences', {
      collectionName,
      description: 'edgetwin zones (ULEZ)',
    })
    // ENTER/EXIT events for the collection's geofences come from associating it with the tracker.
    new location.CfnTrackerConsumer(this, 'Consumer', {
      trackerName: this.trackerName,
      consumerArn: this.collection.attrArn,
    }).addResourceDependency(this.tracker)

    // CloudFormation has no geofence resource; PutGeofence is idempotent, so create and update are the same call.
    const collectionArn = Stack.of(this).formatArn({ service: 'geo', resource: 'geofence-collection', resourceName: collectionName })
    for (const fence of geofences) {
      const call: cr.AwsSdkCall = {
        service: 'Location',
        action: 'putGeofence',
        parameters: { CollectionName: collectionName, GeofenceId: fence.geofenceId, Geometry: { Polygon: fence.polygon } },
        physicalResourceId: cr.PhysicalResourceId.of(`${collectionName}/${fence.geofenceId}`),
      }
      const resource = new cr.AwsCustomResource(this, `Geofence-${fence.geofenceId}`, {
        onCreate: call,
        onUpdate: call,
        onDelete: {
          service: 'Location',
          action: 'batchDeleteGeofence',
          parameters: { CollectionName: collectionName, GeofenceIds: [fence.geofenceId] },
        },
        policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [collectionArn] }),
        installLatestAwsSdk: false,
      })
      resource.node.addDependency(this.collection)
    }
  }
}
