// Parses config text as if it were a file in `dir`, and returns the message of a config that must be refused.
import { parseConfig } from '../../src/config/load-config.js';

export function configAt(dir: string): { load: (text: string) => ReturnType<typeof parseConfig>; error: (text: string) => string } {
  const load = (text: string) => parseConfig(text, 'test.toml', dir);
  const error = (text: string): string => {
    try {
      load(text);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('the config should have been refused');
  };
  return { load, error };
}
