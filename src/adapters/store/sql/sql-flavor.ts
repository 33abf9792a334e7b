/**
 * The SQL dialects the shared store code runs on. Query code is dialect-neutral; the few places
 * where DDL differs (identity columns) ask the flavor.
 */
export const SQL_FLAVORS = ['sqlite', 'postgres'] as const;
export type SqlFlavor = (typeof SQL_FLAVORS)[number];
