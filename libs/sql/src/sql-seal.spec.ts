import { checkAst, checkQueryTree, sealSettings, wrapUserSql } from './sql-seal';
import { renderSettings } from '@tallyhouse/clickhouse';

/** The parts of the seal that are plain functions; the engine-backed suite is test/sql-sealed.e2e-spec.ts. */
describe('sql seal', () => {
  it('wraps the text as a subquery, dropping one trailing semicolon only', () => {
    expect(wrapUserSql('SELECT 1;')).toBe('SELECT * FROM (\nSELECT 1\n)');
    expect(wrapUserSql('SELECT 1; SELECT 2')).toBe('SELECT * FROM (\nSELECT 1; SELECT 2\n)');
  });

  it('renders limits first, the tenant filter on every documented table, and readonly last', () => {
    const clause = renderSettings(
      sealSettings("it's", {
        maxExecutionSeconds: 2,
        maxResultRows: 10,
        maxResultBytes: 1e6,
        maxMemoryBytes: 1e8,
        maxRowsToRead: 1e6,
      }),
    );
    expect(clause).toMatch(/^SETTINGS max_execution_time = 2, /);
    expect(clause).toMatch(/additional_table_filters = \{'events': 'tenant_id = \\'it\\\\\\'s\\'', /);
    expect(clause).toMatch(/allow_ddl = 0, readonly = 1$/);
  });

  it('refuses a SETTINGS clause that is not the outer one, in both trees', () => {
    const ast = [
      'SelectWithUnionQuery (children 1)',
      ' ExpressionList (children 1)',
      '  SelectQuery (children 3)',
      '          Set',
      '   Set',
    ];
    expect(() => checkAst(ast.join('\n'), 'default')).toThrow(/SETTINGS are not allowed/);
    const tree = ['QUERY id: 0', '      SETTINGS max_threads=1', '  SETTINGS additional_table_filters=[] readonly=1'];
    expect(() => checkQueryTree(tree.join('\n'), 'default')).toThrow(/SETTINGS are not allowed/);
  });

  it('refuses a statement without our seal attached', () => {
    const ast = ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 2)'];
    expect(() => checkAst(ast.join('\n'), 'default')).toThrow(/one SELECT/);
    expect(() => checkQueryTree('QUERY id: 0\n  SETTINGS max_threads=1', 'default')).toThrow(/one SELECT/);
  });
});
