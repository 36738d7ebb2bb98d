import { Match, Template } from 'aws-cdk-lib/assertions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureStack } from './test-support.js'

let template: Template
let cleanup: () => void
let synthMs = 0

beforeAll(() => {
  const started = Date.now()
  const built = fixtureStack({
    namedQueries: [{ name: 'days-in-zone', description: 'Days inside the zone per vehicle', queryString: 'SELECT 1' }],
  })
  template = Template.fromStack(built.stack)
  synthMs = Date.now() - started
  cleanup = built.cleanup
})
afterAll(() => cleanup?.())

describe('EdgetwinStack (fixture handlers, one synth)', () => {
  it('synthesizes offline', () => {
    expect(Object.keys(template.toJSON().Resources).length).toBeGreaterThan(50)
    console.log(`fixture stack synth: ${synthMs} ms`)
  })
})
