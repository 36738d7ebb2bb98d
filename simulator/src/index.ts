export * from './clock/index.js'
export * from './farm/index.js'
export * from './fleet/index.js'
