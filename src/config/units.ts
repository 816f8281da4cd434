// The unit parsers config readers use; they live in the contract, beside the limit table that names them.
export { parseBytes, parseCount, parseDurationMs, UnitError } from '../contract/units.js';
