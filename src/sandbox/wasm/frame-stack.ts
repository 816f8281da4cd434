// The open control frames of a body being rewritten: label renumbering in O(1), and fuel-since-test per path.
export type FrameKind = 'func' | 'block' | 'if' | 'loop';

/**
 * Frame 0 is the function. A metered loop adds 3 labels outside itself, so a branch of relative depth
 * d gets d plus the labels added by the d innermost frames; prefix sums make that O(1) (a per-branch
 * walk made deep nesting × wide br_table quadratic). Alongside, for the budget tests: the most fuel
 * charged since the last test on any path that reaches a frame's end (branches to it, its fallthrough,
 * and for an `if` without `else`, the path that skipped it).
 */
export class FrameStack {
  private kinds: FrameKind[] = ['func'];
  /** prefix[i] = labels inserted by frames 1..i. */
  private prefix: number[] = [0];
  private accIf: number[] = [0];
  private accBranch: number[] = [0];
  private hadElse: boolean[] = [false];

  get depth(): number {
    return this.kinds.length - 1;
  }

  push(kind: Exclude<FrameKind, 'func'>, acc: number): void {
    this.kinds.push(kind);
    this.prefix.push(this.prefix[this.prefix.length - 1]! + (kind === 'loop' ? 3 : 0));
    this.accIf.push(acc);
    this.accBranch.push(0);
    this.hadElse.push(false);
  }

  /** The label a branch of relative depth `d` must use in the rewritten body. */
  relabel(d: number): number {
    const top = this.depth;
    return d + this.prefix[top]! - this.prefix[top - d]!;
  }

  /** A branch leaves for the end of frame `index` (absolute) with `acc` fuel untested; loops test at their header. */
  branchFrom(index: number, acc: number): void {
    if (this.kinds[index] !== 'loop' && acc > this.accBranch[index]!) this.accBranch[index] = acc;
  }

  /** The then-arm ended with `acc` untested; returns what the else-arm starts with. */
  enterElse(acc: number): number {
    const top = this.depth;
    this.branchFrom(top, acc);
    this.hadElse[top] = true;
    return this.accIf[top]!;
  }

  /** Closes the innermost frame (fallthrough carrying `acc`) and returns the fuel untested after it. */
  pop(acc: number): { wasLoop: boolean; acc: number } {
    const kind = this.kinds.pop()!;
    this.prefix.pop();
    const ifAcc = this.accIf.pop()!;
    const branchAcc = this.accBranch.pop()!;
    const hadElse = this.hadElse.pop()!;
    if (kind === 'loop') return { wasLoop: true, acc };
    const skipped = kind === 'if' && !hadElse ? ifAcc : 0;
    return { wasLoop: false, acc: Math.max(acc, branchAcc, skipped) };
  }
}
