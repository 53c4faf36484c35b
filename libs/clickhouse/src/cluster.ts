/**
 * The cluster variant of a migration statement, from the same file: one source
 * of schema truth. Tables and views are created ON CLUSTER, and MergeTree
 * engines become their Replicated form with the usual Keeper path macros.
 * EmbeddedRocksDB lookup tables stay local to each replica: the ingest writer
 * that owns a tenant's contacts runs against one replica (see clickhouse/README.md).
 */
export function renderForCluster(statement: string, cluster: string): string {
  let sql = statement.replace(
    /^(\s*(?:CREATE\s+(?:TABLE|MATERIALIZED\s+VIEW|VIEW|DATABASE)(?:\s+IF\s+NOT\s+EXISTS)?|ALTER\s+TABLE|DROP\s+(?:TABLE|VIEW)(?:\s+IF\s+EXISTS)?)\s+[A-Za-z_][A-Za-z0-9_.]*)/i,
    `$1 ON CLUSTER '${cluster}'`,
  );
  sql = sql.replace(
    /ENGINE\s*=\s*(Replacing|Aggregating|Summing|Collapsing|VersionedCollapsing)?MergeTree(\s*\(([^)]*)\))?/,
    (_m, kind: string | undefined, _args: string | undefined, inner: string | undefined) => {
      const extra = inner && inner.trim() ? `, ${inner.trim()}` : '';
      return `ENGINE = Replicated${kind ?? ''}MergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}'${extra})`;
    },
  );
  return sql;
}
