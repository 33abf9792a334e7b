/**
 * Copying a whole store from one database to another (`cortical migrate`): an embedded fleet's
 * SQLite file into an empty PostgreSQL database. The copier refuses rather than merges: the
 * source must be at the latest schema and not in use, the target must hold no data.
 */
export interface StoreCopyRequest {
  /** Absolute path of the source SQLite database file. */
  readonly fromSqlitePath: string;
  /** `postgres://…` URL of the target database (it may carry a password; it is never printed). */
  readonly toPostgresUrl: string;
  /** Count the rows and run every check, but write nothing to the target (not even its schema). */
  readonly dryRun: boolean;
  /** Rows per read and per insert statement (clamped so a statement stays under the driver's parameter limit). */
  readonly batchRows: number;
  /** Told after each batch and once per table when it is done. */
  readonly onProgress?: ((progress: TableCopyProgress) => void) | undefined;
}

export interface TableCopyProgress {
  readonly table: string;
  readonly copied: number;
  readonly total: number;
  /** True on the table's last report. */
  readonly done: boolean;
}

export interface TableCopyReport {
  readonly table: string;
  /** Rows in the source. */
  readonly rows: number;
  /** Rows written to the target (0 in a dry run). */
  readonly copied: number;
}

export interface StoreCopyReport {
  readonly from: string;
  /** The target URL with its password masked. */
  readonly to: string;
  readonly dryRun: boolean;
  /** In copy order. */
  readonly tables: readonly TableCopyReport[];
  readonly totalRows: number;
  readonly copiedRows: number;
  /** Highest event sequence number copied (0 when there are none); new events get higher ones. */
  readonly lastEventSeq: number;
  readonly durationMs: number;
}

export interface StoreCopier {
  copy(request: StoreCopyRequest): Promise<StoreCopyReport>;
}

/** Default rows per batch of `cortical migrate`. */
export const DEFAULT_COPY_BATCH_ROWS = 500;
