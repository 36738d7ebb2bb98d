// The local fleet provisioning service: its own entry point (`@edgetwin/cloud/provisioning`), loaded only by the
// commands that use it.
export * from './local-ca.js'
export * from './mosquitto-config.js'
export * from './provisioning-service.js'
export * from './registry.js'
