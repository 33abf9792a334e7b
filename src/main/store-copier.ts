/** Supplies `cortical migrate` with the store copier (loaded on first use: the CLI starts fast). */
import type { StoreCopier } from '../core/ports/store-copy.js';

export function createStoreCopier(): StoreCopier {
  return {
    async copy(request) {
      const { SqliteToPostgresCopier } = await import('../adapters/store/sql/sqlite-to-postgres-copier.js');
      return new SqliteToPostgresCopier().copy(request);
    },
  };
}
