// Domain limits → the wire shape formatLimits prints: the one table-driven conversion the server uses.
export { limitsToWire as limitsToWireShape } from '../../server/wire-convert.js';
