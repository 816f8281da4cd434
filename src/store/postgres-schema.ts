// The fleet store's schema in PostgreSQL: versioned migrations, applied under an advisory lock so daemons may start together.
import type pg from 'pg';

export const PG_SCHEMA_VERSION = 1;
/** Advisory lock keys (arbitrary, fixed): schema migration and fleet-wide retention/registration. */
export const MIGRATE_LOCK = 0x61726901;
export const FLEET_LOCK = 0x61726902;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE ari_tasks (
      task_id          text PRIMARY KEY,
      agent_id         text NOT NULL,
      agent_hash       text NOT NULL,
      runtime          text NOT NULL,
      capability       text NOT NULL,
      request_hash     text NOT NULL,
      limits           text NOT NULL,
      input            text NOT NULL,
      status           text NOT NULL,
      created_at       bigint NOT NULL,
      started_at       bigint,
      finished_at      bigint,
      result           text,
      claimed_by       text,
      lease_until      bigint,
      cancel_requested boolean NOT NULL DEFAULT false
    );
    -- The fleet queue (claimed oldest first), leases to expire, retention, listings.
    CREATE INDEX ari_tasks_queue ON ari_tasks (runtime, created_at) WHERE status = 'QUEUED';
    CREATE INDEX ari_tasks_leases ON ari_tasks (lease_until) WHERE status = 'RUNNING';
    CREATE INDEX ari_tasks_finished ON ari_tasks (finished_at) WHERE finished_at IS NOT NULL;
    CREATE INDEX ari_tasks_created ON ari_tasks (created_at DESC, task_id DESC);
    CREATE INDEX ari_tasks_agent_created ON ari_tasks (agent_id, created_at DESC, task_id DESC);

    CREATE TABLE ari_members (
      daemon_id    text PRIMARY KEY,
      incarnation  text NOT NULL,
      host         text NOT NULL,
      address      text NOT NULL,
      started_at   bigint NOT NULL,
      heartbeat_at bigint NOT NULL,
      free_slots   text NOT NULL,
      uid_start    bigint NOT NULL,
      uid_count    bigint NOT NULL,
      agents       text NOT NULL
    );

    -- Leases and heartbeats use the database's clock, so replicas with skewed clocks agree on expiry.
    CREATE FUNCTION ari_ms() RETURNS bigint LANGUAGE sql VOLATILE AS
      $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

    -- Every state change wakes the fleet: claim loops (QUEUED), waiters and watchers (the rest), owners (cancel).
    CREATE FUNCTION ari_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (TG_OP = 'INSERT' AND NEW.status = 'QUEUED') OR (TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status) THEN
        PERFORM pg_notify('ari_tasks', json_build_object('id', NEW.task_id, 's', NEW.status, 'r', NEW.runtime, 'k', 'state')::text);
      END IF;
      IF TG_OP = 'UPDATE' AND NEW.cancel_requested AND NOT OLD.cancel_requested THEN
        PERFORM pg_notify('ari_tasks', json_build_object('id', NEW.task_id, 's', NEW.status, 'r', NEW.runtime, 'k', 'cancel')::text);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER ari_tasks_notify AFTER INSERT OR UPDATE ON ari_tasks FOR EACH ROW EXECUTE FUNCTION ari_notify();
  `,
};

/** Brings the database to PG_SCHEMA_VERSION; one daemon migrates while the others wait on the lock. */
export async function migratePostgres(client: pg.ClientBase, where: string): Promise<number> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS ari_schema (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM ari_schema');
    const current = rows[0]?.version ?? 0;
    if (current > PG_SCHEMA_VERSION) {
      throw new Error(`${where}: the ari schema is at version ${current}, newer than this ari understands (${PG_SCHEMA_VERSION}): upgrade this daemon`);
    }
    for (let v = current + 1; v <= PG_SCHEMA_VERSION; v++) {
      await client.query('BEGIN');
      try {
        await client.query(MIGRATIONS[v]!);
        await client.query(v === 1 ? 'INSERT INTO ari_schema (version) VALUES ($1)' : 'UPDATE ari_schema SET version = $1', [v]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
    return current;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]);
  }
}
