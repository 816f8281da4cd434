// [[agents]] TOML blocks for the fixture agents, shared by tests and benches ({{FIXTURES}} is expanded by the harness).

export function wasmAgentToml(id: string, module: string, manifest = 'math/manifest.json'): string {
  return `\n[[agents]]\nid = "${id}"\nruntime = "wasm"\nmodule = "{{FIXTURES}}/${module}"\nmanifest = "{{FIXTURES}}/${manifest}"\n`;
}

export function nativeAgentToml(id: string, command: string, manifest = 'math/manifest.json'): string {
  return `\n[[agents]]\nid = "${id}"\nruntime = "native"\ncommand = ["{{FIXTURES}}/${command}"]\nmanifest = "{{FIXTURES}}/${manifest}"\n`;
}

/** The MathAgent as a wasm module (`math`) and as a native program (`math-native`). */
export const MATH_WASM_AND_NATIVE = wasmAgentToml('math', 'math/math.wasm') + nativeAgentToml('math-native', 'math/native/math');
