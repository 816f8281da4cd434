// The fleet store's statements, in one place: each is one round trip, so the hot path stays short.

/** Every column but the input (which only a claiming replica needs). */
export const COLS = 'task_id, agent_id, runtime, capability, request_hash, limits, status, created_at, started_at, finished_at, result';
const T_COLS = COLS.split(', ').map((c) => `t.${c}`).join(', ');

export const SQL = {
  get: `SELECT ${COLS} FROM ari_tasks WHERE task_id = $1`,
  /** Inserted RUNNING (claimed by $12) or QUEUED while the fleet's queue of that runtime is under $14. */
  insert: `INSERT INTO ari_tasks (task_id, agent_id, agent_hash, runtime, capability, request_hash, limits, input, status, created_at, started_at, claimed_by, lease_until)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text, CASE WHEN $12::text IS NULL THEN NULL ELSE ari_ms() + $13 END
    WHERE $12::text IS NOT NULL OR (SELECT count(*) FROM ari_tasks WHERE status = 'QUEUED' AND runtime = $4) < $14
    ON CONFLICT (task_id) DO NOTHING RETURNING task_id`,
  running: `UPDATE ari_tasks SET status = 'RUNNING', started_at = $2 WHERE task_id = $1 AND status = 'QUEUED'`,
  /** Writes the outcome unless one exists and answers the final row either way (the CTE's outer read sees the old row). */
  finish: `WITH u AS (
      UPDATE ari_tasks SET status = $2, result = $3, finished_at = $4, lease_until = NULL
      WHERE task_id = $1 AND finished_at IS NULL RETURNING ${COLS})
    SELECT * FROM u UNION ALL SELECT ${COLS} FROM ari_tasks WHERE task_id = $1 AND NOT EXISTS (SELECT 1 FROM u)`,
  claim: `UPDATE ari_tasks t SET status = 'RUNNING', started_at = $5, claimed_by = $4, lease_until = ari_ms() + $6
    FROM (SELECT task_id FROM ari_tasks
          WHERE status = 'QUEUED' AND runtime = $1 AND (agent_id, agent_hash) IN (SELECT * FROM unnest($2::text[], $3::text[]))
          ORDER BY created_at LIMIT $7 FOR UPDATE SKIP LOCKED) c
    WHERE t.task_id = c.task_id RETURNING ${T_COLS}, t.input`,
  renew: `UPDATE ari_tasks SET lease_until = ari_ms() + $3
    WHERE task_id = ANY($1::text[]) AND claimed_by = $2 AND status = 'RUNNING' RETURNING task_id, cancel_requested`,
  cancelQueued: `UPDATE ari_tasks SET status = 'CANCELLED', result = $2, finished_at = $3 WHERE task_id = $1 AND status = 'QUEUED' RETURNING ${COLS}`,
  flagCancel: `UPDATE ari_tasks SET cancel_requested = true WHERE task_id = $1 AND finished_at IS NULL AND NOT cancel_requested`,
  /** $2: a FAILED DAEMON_LOST result template; wall time and the owner's id are filled in per row. */
  lost: (which: 'expired' | 'mine') => `WITH lost AS (
      SELECT task_id FROM ari_tasks WHERE status = 'RUNNING' AND ${which === 'expired' ? 'lease_until < ari_ms()' : 'claimed_by = $3'}
      ORDER BY task_id LIMIT 500 FOR UPDATE SKIP LOCKED)
    UPDATE ari_tasks t SET status = 'FAILED', finished_at = $1, lease_until = NULL,
      result = jsonb_set(jsonb_set($2::jsonb, '{usage,wallMs}', to_jsonb(greatest(0, $1 - coalesce(t.started_at, $1)))),
        '{error,message}', to_jsonb('the daemon ' || coalesce(t.claimed_by, '?') || ' running this task stopped (its lease ran out); it was not run again: submit it under a new task_id to retry'))::text
    FROM lost WHERE t.task_id = lost.task_id RETURNING ${T_COLS}`,
  queueDepth: `SELECT runtime, count(*)::int AS n FROM ari_tasks WHERE status = 'QUEUED' GROUP BY runtime`,
  members: `SELECT *, heartbeat_at > ari_ms() - $1 AS live FROM ari_members ORDER BY daemon_id`,
  join: `INSERT INTO ari_members (daemon_id, incarnation, host, address, started_at, heartbeat_at, free_slots, uid_start, uid_count, agents)
    VALUES ($1, $2, $3, $4, ari_ms(), ari_ms(), $5, $6, $7, $8)
    ON CONFLICT (daemon_id) DO UPDATE SET incarnation = $2, host = $3, address = $4, started_at = ari_ms(), heartbeat_at = ari_ms(),
      free_slots = $5, uid_start = $6, uid_count = $7, agents = $8`,
  beat: `UPDATE ari_members SET heartbeat_at = ari_ms(), free_slots = $3 WHERE daemon_id = $1 AND incarnation = $2`,
  leave: `DELETE FROM ari_members WHERE daemon_id = $1 AND incarnation = $2`,
  pruneAge: `DELETE FROM ari_tasks WHERE finished_at IS NOT NULL AND finished_at < $1`,
  pruneCount: `DELETE FROM ari_tasks WHERE task_id IN (
    SELECT task_id FROM ari_tasks WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, task_id DESC OFFSET $1)`,
  pruneMembers: `DELETE FROM ari_members WHERE heartbeat_at < ari_ms() - 86400000`,
};
