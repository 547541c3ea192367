import SQLite from 'better-sqlite3';

/** Where one raw mail went in the raw file. */
export interface RawLocation {
  sha256: string;
  raw_id: number;
}

/**
 * The embedded store's raw mail: a second SQLite file beside the main one (postroom.db →
 * postroom.raw.db), append-only by id, with 64 KiB pages. A 12 KB mail is then one page instead
 * of a chain of four, and a batch of 500 commits about three times faster than in the main file,
 * whose small pages suit its many small row updates and random-key indexes. The hash → id lookup
 * (raw_index) lives in the main file, committed with the spool rows that name the mail.
 *
 * It has a connection of its own and talks to better-sqlite3 directly: one prepared single-row
 * INSERT per mail in one transaction cost half of what Kysely's compiled multi-row INSERT did,
 * and a connection of its own cannot be caught up in a transaction Kysely holds open on the main
 * one. The file has one table and no migrations: CREATE TABLE IF NOT EXISTS is its schema.
 */
export class SqliteRawFile {
  private readonly db: SQLite.Database;
  private readonly insert: SQLite.Statement<[string, number, number, Buffer]>;
  private readonly select: SQLite.Statement<[number], { bytes: Buffer }>;
  private readonly remove: SQLite.Statement<[number]>;
  private readonly older: SQLite.Statement<[number, number], { id: number }>;
  private readonly swept: SQLite.Statement<[], { through: number }>;
  private readonly markSwept: SQLite.Statement<[number]>;
  private readonly appendAll: (raws: ReadonlyMap<string, Buffer>, storedAt: number) => RawLocation[];

  constructor(file: string, synchronous: 'full' | 'normal') {
    this.db = new SQLite(file);
    // Takes effect only while the file is empty, before WAL mode: a new file gets it, an old one keeps its own.
    this.db.pragma('page_size = 65536');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS raw_mail (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, stored_at INTEGER NOT NULL, bytes BLOB NOT NULL)',
    );
    this.insert = this.db.prepare('INSERT INTO raw_mail (sha256, size, stored_at, bytes) VALUES (?, ?, ?, ?)');
    this.select = this.db.prepare('SELECT bytes FROM raw_mail WHERE id = ?');
    this.remove = this.db.prepare('DELETE FROM raw_mail WHERE id = ?');
    // How far the orphan sweep has looked: ids only grow with time, so what it has looked at once
    // it never needs to look at again.
    this.db.exec('CREATE TABLE IF NOT EXISTS raw_swept (through INTEGER NOT NULL)');
    this.older = this.db.prepare('SELECT id FROM raw_mail WHERE id > ? AND stored_at < ? ORDER BY id');
    this.swept = this.db.prepare('SELECT COALESCE(MAX(through), 0) AS through FROM raw_swept');
    this.markSwept = this.db.prepare('INSERT INTO raw_swept (through) VALUES (?)');
    const append = (raws: ReadonlyMap<string, Buffer>, storedAt: number): RawLocation[] => {
      const located: RawLocation[] = [];
      for (const [sha256, bytes] of raws) {
        const { lastInsertRowid } = this.insert.run(sha256, bytes.length, storedAt, bytes);
        located.push({ sha256, raw_id: Number(lastInsertRowid) });
      }
      return located;
    };
    // IMMEDIATE: take the write lock up front (see immediate-transaction.ts).
    this.appendAll = (raws, storedAt) => this.db.transaction(append).immediate(raws, storedAt);
  }

  /** Appends the mails and commits (durably, with synchronous = FULL) before it returns. */
  append(raws: ReadonlyMap<string, Buffer>, storedAt: number): RawLocation[] {
    return raws.size === 0 ? [] : this.appendAll(raws, storedAt);
  }

  read(id: number): Buffer | null {
    return this.select.get(id)?.bytes ?? null;
  }

  delete(id: number): void {
    this.remove.run(id);
  }

  /** Ids of mail stored before `cutoff` (ms since the epoch) that no sweep has looked at yet. */
  idsToSweep(cutoff: number): number[] {
    return this.older.all(this.swept.get()?.through ?? 0, cutoff).map((row) => row.id);
  }

  /** The sweep has looked at every id up to `id`. */
  sweptThrough(id: number): void {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM raw_swept');
      this.markSwept.run(id);
    }).immediate();
  }

  close(): void {
    this.db.close();
  }
}
