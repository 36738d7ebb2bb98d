/**
 * Partitions other than `aws`, each with the region pattern the AWS SDK's endpoint rules give it
 * (`@aws-sdk/core` util-endpoints `partitions.json`, `regionRegex`). An ARN names its partition, so a thing in
 * cn-north-1 is `arn:aws-cn:iot:…`; an `arn:aws:` target there would not exist.
 */
const PARTITIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^cn-\w+-\d+$/, 'aws-cn'],
  [/^us-gov-\w+-\d+$/, 'aws-us-gov'],
  [/^us-iso-\w+-\d+$/, 'aws-iso'],
  [/^us-isob-\w+-\d+$/, 'aws-iso-b'],
  [/^eu-isoe-\w+-\d+$/, 'aws-iso-e'],
  [/^us-isof-\w+-\d+$/, 'aws-iso-f'],
  [/^eusc-de-\w+-\d+$/, 'aws-eusc'],
]

/** The ARN partition of a region: `aws-cn` for cn-*, `aws-us-gov` for us-gov-*, …, else `aws`. */
export function arnPartition(region: string): string {
  for (const [pattern, partition] of PARTITIONS) if (pattern.test(region)) return partition
  return 'aws'
}
