// A dedicated LISTEN connection that reconnects by itself and reports outages; notices are parsed JSON payloads.
import pg from 'pg';
import type { Logger } from 'pino';

export class PgListener {
  private client?: pg.Client;
  private closed = false;
  private down = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly onMessage: (payload: string) => void,
    private readonly onState: (down: boolean) => void,
    private readonly logger?: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('notification', (m) => { if (m.payload) this.onMessage(m.payload); });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
    if (this.down) {
      this.down = false;
      this.logger?.info('task store reachable again');
      this.onState(false);
    }
  }

  private lost(client: pg.Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    if (!this.down) {
      this.down = true;
      this.logger?.error('task store connection lost: new tasks are refused (UNAVAILABLE) until it is back');
      this.onState(true);
    }
    this.retry();
  }

  private retry(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.connect().catch(() => this.retry());
    }, 500);
    this.timer.unref();
  }
}
