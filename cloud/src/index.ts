export * from './broker/embedded-broker.js'
