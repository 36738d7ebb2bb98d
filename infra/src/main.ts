import { Annotations } from 'aws-cdk-lib'
import { buildApp, loadNamedQuerySource } from './app.js'

// `cdk synth` / `cdk deploy` entry (see cdk.json). Needs no AWS credentials: the stack is environment-agnostic.
const namedQuerySource = await loadNamedQuerySource()
const { app, stack } = buildApp({ namedQuerySource })
if (!namedQuerySource) {
  Annotations.of(stack).addWarningV2(
    'edgetwin:no-named-queries',
    '@edgetwin/cloud exports no athenaNamedQueries yet: the workgroup has no named queries',
  )
}
app.synth()
