// Body of the wrapper every exported function gets: call the original, then test the budget on the way out.
import { Writer } from './writer.js';

/**
 * `local.get 0..n-1; call target; if fuel < 0 { out_of_fuel() }`: code after a function's last test is
 * charged but would otherwise never be compared with the budget, so a run over budget could return
 * normally to the host. The results stay on the stack across the test.
 */
export function exportWrapperBody(target: number, paramCount: number, fuelGlobal: number, outOfFuelFunc: number): Uint8Array {
  const w = new Writer().u32(0);
  for (let i = 0; i < paramCount; i++) w.u8(0x20).u32(i);
  w.u8(0x10).u32(target);
  w.u8(0x23).u32(fuelGlobal).ops(0x42, 0x00, 0x53, 0x04, 0x40, 0x10).u32(outOfFuelFunc).u8(0x0b);
  return w.u8(0x0b).finish();
}
