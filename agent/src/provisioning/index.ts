// Fleet provisioning by claim: its own entry point (`@edgetwin/agent/provisioning`), so an agent that is already
// provisioned never loads the certificate library.
export * from './errors.js'
export * from './provision-by-claim.js'
