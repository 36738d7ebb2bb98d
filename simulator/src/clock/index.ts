export { ClockError, type ClockHandler, createVirtualClock, type VirtualClock, type VirtualClockOptions } from './virtual-clock.js'
