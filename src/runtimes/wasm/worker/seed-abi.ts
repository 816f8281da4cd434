// The seed ABI: alloc(len) → ptr, execute_task(ptr, len) → ptr to [u32 LE length][JSON]; imports env.log / env.time.
import { parseAgentOutput } from '../../../contract/agent-output.js';
import { hostCost } from '../shared/fuel-costs.js';
import { GuestMemory, MemoryFault } from './guest-memory.js';
import { AbiViolation, OutputLimitExceeded } from '../shared/outcome-markers.js';
import type { AbiRun, TaskContext } from './task-context.js';

/** Longest single env.log message copied out of the module. */
const MAX_LOG_CALL = 4096;

const utf8 = new TextDecoder('utf-8');

export function seedImports(ctx: TaskContext, memory: () => GuestMemory | undefined): WebAssembly.Imports {
  return {
    env: {
      log(ptr: number, len: number): void {
        const n = Math.min(len >>> 0, MAX_LOG_CALL);
        ctx.meter.charge(hostCost(n));
        const mem = memory();
        if (!mem) return;
        try {
          ctx.log(`${utf8.decode(mem.bytes(ptr, n))}\n`);
        } catch (e) {
          if (e instanceof MemoryFault) throw new AbiViolation(`env.log: ${e.message}`);
          throw e;
        }
      },
      time: (): bigint => {
        ctx.meter.charge(hostCost(0));
        return BigInt(Date.now());
      },
    },
  };
}

export function runSeed(instance: WebAssembly.Instance, ctx: TaskContext): AbiRun {
  const exports = instance.exports as Record<string, unknown>;
  const mem = new GuestMemory(exports.memory as WebAssembly.Memory);
  const alloc = exports.alloc as (len: number) => number;
  const execute = exports.execute_task as (ptr: number, len: number) => number;
  const input = new TextEncoder().encode(ctx.req.document);
  try {
    const ptr = alloc(input.length);
    mem.write(ptr, input);
    const rptr = execute(ptr >>> 0, input.length);
    const len = mem.u32(rptr);
    // A length that points past memory is a lie (BAD_OUTPUT), not a flood: check bounds before the cap.
    const size = (exports.memory as WebAssembly.Memory).buffer.byteLength;
    if ((rptr >>> 0) + 4 + len > size) throw new MemoryFault(`result of ${len} bytes at ${rptr >>> 0} lies outside the ${size}-byte memory`);
    if (len > ctx.req.limits.outputBytes) throw new OutputLimitExceeded(ctx.req.limits.outputBytes, len);
    const text = utf8.decode(mem.bytes((rptr >>> 0) + 4, len));
    return { parsed: parseAgentOutput(text), outputBytes: len, exitCode: 0 };
  } catch (e) {
    if (e instanceof MemoryFault) throw new AbiViolation(`seed ABI: ${e.message}`);
    throw e;
  }
}

