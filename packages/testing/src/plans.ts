// The planner's view of what the code sends: the statements a read issues (knex's 'query' event: the
// very text in pg's $n form, with its bindings) and their EXPLAIN plans on the real PostgreSQL. Used
// by the tests that hold a read to an index (issue 12: cost that does not grow with the data).

/** What these helpers use of a knex instance on pg (structural: this package does not depend on knex). */
export interface PlannedDb {
  on(event: 'query', listener: (q: { sql: string; bindings?: unknown[] }) => void): unknown;
  removeListener(event: 'query', listener: (q: { sql: string; bindings?: unknown[] }) => void): unknown;
  readonly client: { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<unknown> };
}

export interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

export interface SentStatement {
  readonly sql: string;
  readonly bindings: unknown[];
}

/** Every node of a plan, depth first. */
export const planNodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(planNodes)];

/** A plan in one line, for assertion messages: [node type, index or relation] per node. */
export const planShape = (plan: PlanNode): string => JSON.stringify(planNodes(plan).map((n) => [n['Node Type'], n['Index Name'] ?? n['Relation Name'] ?? '']));

/** Runs `read` for real and returns its result with the statements it sent. */
export async function statementsOf<D extends PlannedDb, T>(db: D, read: (db: D) => Promise<T>): Promise<{ result: T; sent: SentStatement[] }> {
  const sent: SentStatement[] = [];
  const listener = (q: { sql: string; bindings?: unknown[] }) => sent.push({ sql: q.sql, bindings: [...(q.bindings ?? [])] });
  db.on('query', listener);
  try {
    return { result: await read(db), sent };
  } finally {
    db.removeListener('query', listener);
  }
}

type PgConnection = { query(sql: string, values?: unknown[]): Promise<{ rows: { 'QUERY PLAN': [{ Plan: PlanNode }] }[] }> };

/**
 * The plan of a statement (pg's $n form) as the planner chooses it, with `settings` applied for the
 * plan only (e.g. `enable_sort = off`: a Sort node then remains only where no index gives the order).
 */
export async function explainPlan(db: PlannedDb, statement: SentStatement, settings: readonly string[] = []): Promise<PlanNode> {
  const conn = (await db.client.acquireConnection()) as PgConnection;
  try {
    await conn.query('BEGIN');
    for (const setting of settings) await conn.query(`SET LOCAL ${setting}`);
    return (await conn.query(`EXPLAIN (FORMAT JSON) ${statement.sql}`, statement.bindings)).rows[0]!['QUERY PLAN'][0].Plan;
  } finally {
    await conn.query('ROLLBACK');
    await db.client.releaseConnection(conn);
  }
}
