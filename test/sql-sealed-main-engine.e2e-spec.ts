/**
 * The whole adversarial suite of sql-sealed.e2e-spec.ts again, with ad hoc SQL
 * on the main engine instead of the read replica (SQL_REPLICA=false): the path
 * a ClickHouse server takes too. The seal must not depend on where queries run.
 */
import './sql-sealed.e2e-spec';

// Read by the suite's beforeAll (startTestWarehouse builds its config from process.env), after this line ran.
process.env.SQL_REPLICA = 'false';
