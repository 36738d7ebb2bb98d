import { CfnResource, type IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as logs from 'aws-cdk-lib/aws-logs'
import type { IConstruct } from 'constructs'

/**
 * Gives every Lambda function that names no log group of its own (the CDK's helper functions: bucket notifications,
 * custom resource providers) a `/aws/lambda/<name>` log group with a retention, instead of the one Lambda creates on
 * first run, which never expires. Every custom resource waits for these groups, so that a helper cannot run (and
 * create its group itself) before the stack's group exists. Applied to a stack: it works on the whole tree at once.
 */
export class HelperLogRetention implements IAspect {
  private readonly seen = new Set<Stack>()

  constructor(private readonly retentionDays: number = logs.RetentionDays.ONE_MONTH) {}

  visit(node: IConstruct): void {
    if (!(node instanceof Stack) || this.seen.has(node)) return
    this.seen.add(node)
    const resources = node.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource)
    const groups = resources
      .filter((r) => r.cfnResourceType === 'AWS::Lambda::Function')
      .filter((fn) => !(fn instanceof lambda.CfnFunction && fn.loggingConfig !== undefined))
      .map((fn) => {
        const group = new logs.CfnLogGroup(fn.node.scope ?? node, `${fn.node.id}LogGroup`, {
          logGroupName: `/aws/lambda/${fn.ref}`,
          retentionInDays: this.retentionDays,
        })
        // Helper logs are worth nothing once the stack is gone.
        group.applyRemovalPolicy(RemovalPolicy.DESTROY)
        return group
      })
    for (const r of resources) {
      if (r.cfnResourceType.startsWith('Custom::') || r.cfnResourceType === 'AWS::CloudFormation::CustomResource') {
        for (const group of groups) r.addResourceDependency(group)
      }
    }
  }
}
