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
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: url });
    await pool.query(schema);
    return {
      kind: "postgres",
      query: async <Row>(sql: string, params?: unknown[]) => ({ rows: (await pool.query(sql, params)).rows as Row[] }),
      close: () => pool.end(),
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
