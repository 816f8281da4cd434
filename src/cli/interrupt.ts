// Ctrl-C while a client command waits on a task: run the handler once, then exit 130 (a second Ctrl-C exits at once).

/** Installs the SIGINT handler; the returned function removes it. Only the real process has signals. */
export function onInterrupt(handler: () => Promise<void>): () => void {
  const listener = () => {
    process.once('SIGINT', () => process.exit(130));
    handler().finally(() => process.exit(130));
  };
  process.once('SIGINT', listener);
  return () => { process.off('SIGINT', listener); };
}
