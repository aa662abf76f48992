// The database the example runs on: embedded PGlite by default, any Postgres via DATABASE_URL.
import { schema } from "./schema";

/** What the example needs of a database client: PGlite and node-postgres both fit. */
export interface Queryable {
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

export interface Database extends Queryable {
  kind: "pglite" | "postgres";
  close(): Promise<void>;
}

export async function openDatabase(url = process.env.DATABASE_URL): Promise<Database> {
  if (url) {
    // A schema of its own, dropped on close, so runs never collide with each other or with
    // whatever else lives in that database.
    const { default: pg } = await import("pg");
    const schemaName = `session_compaction_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schemaName}`);
    await admin.end();
    const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schemaName}` });
    await pool.query(schema);
    return {
      kind: "postgres",
      query: async <Row>(sql: string, params?: unknown[]) => ({ rows: (await pool.query(sql, params)).rows as Row[] }),
      close: async () => {
        await pool.query(`drop schema ${schemaName} cascade`);
        await pool.end();
      },
    };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite();
  await db.exec(schema);
  return {
    kind: "pglite",
    query: async <Row>(sql: string, params?: unknown[]) => ({ rows: (await db.query<Row>(sql, params)).rows }),
    close: () => db.close(),
  };
}
