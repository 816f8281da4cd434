// The one error type the instrumenter throws: the module is invalid, unsupported or over a limit.
export class InstrumentError extends Error {
  override name = 'InstrumentError';
}
