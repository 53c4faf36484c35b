import { checkAst, checkParse, checkQueryTree, parseRefusal, sealSettings, wrapUserSql } from './sql-seal';
import { renderSettings } from '@tallyhouse/clickhouse';

const SCOPE = { database: 'default', hiddenTables: new Set(['api_keys', 'sql_query_log']) };

/** An EXPLAIN AST output from its lines (one space of indent per level). */
const ast = (...lines: string[]) => lines.join('\n');
const sealedSelect = (...body: string[]) =>
  ast(
    'SelectWithUnionQuery (children 1)',
    ' ExpressionList (children 1)',
    '  SelectQuery (children 3)',
    ...body,
    '   Set',
  );

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
        maxThreads: 2,
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
    expect(() => checkAst(ast.join('\n'), SCOPE)).toThrow(/SETTINGS are not allowed/);
    const tree = ['QUERY id: 0', '      SETTINGS max_threads=1', '  SETTINGS additional_table_filters=[] readonly=1'];
    expect(() => checkQueryTree(tree.join('\n'), 'default')).toThrow(/SETTINGS are not allowed/);
  });

  it('refuses a statement without our seal attached', () => {
    const ast = ['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 2)'];
    expect(() => checkAst(ast.join('\n'), SCOPE)).toThrow(/one SELECT/);
    expect(() => checkQueryTree('QUERY id: 0\n  SETTINGS max_threads=1', 'default')).toThrow(/one SELECT/);
  });

  it('refuses a table of our database that is not documented, unqualified, qualified or as IN t', () => {
    const from = (name: string) =>
      sealedSelect(
        '   TablesInSelectQuery (children 1)',
        '    TablesInSelectQueryElement (children 1)',
        '     TableExpression (children 1)',
        `      TableIdentifier ${name}`,
      );
    expect(() => checkAst(from('api_keys'), SCOPE)).toThrow(/api_keys is not readable/);
    expect(() => checkAst(from('default.api_keys (alias k)'), SCOPE)).toThrow(/not readable/);
    expect(() => checkAst(from('system.one'), SCOPE)).toThrow(/not readable/);
    expect(() => checkAst(from('events'), SCOPE)).not.toThrow();
    expect(() => checkAst(from('my_cte'), SCOPE)).not.toThrow(); // unknown here: a CTE, or the engine says so
    const inTable = (name: string) =>
      sealedSelect(
        '   Function in (children 1)',
        '    ExpressionList (children 2)',
        '     Identifier contact_id',
        `     Identifier ${name}`,
      );
    expect(() => checkAst(inTable('sql_query_log'), SCOPE)).toThrow(/sql_query_log is not readable/);
    expect(() => checkAst(inTable('other.events'), SCOPE)).toThrow(/not readable/);
    expect(() => checkAst(inTable('arr'), SCOPE)).not.toThrow();
  });

  it('refuses server functions by any alias, and virtual columns', () => {
    for (const fn of [
      'hostName',
      'hostname',
      'FQDN',
      'fullHostName',
      'version',
      'currentQueryID',
      'query_id',
      'addressToSymbol',
      'getSetting',
      'user',
      '__getScalar',
      'aiGenerate',
      'AIGenerate',
      'file',
      'dictGet',
    ]) {
      expect(() => checkAst(sealedSelect(`   Function ${fn} (children 1)`), SCOPE)).toThrow(/FUNCTION|not allowed/);
    }
    expect(() => checkAst(sealedSelect('   Function count (children 1)'), SCOPE)).not.toThrow();
    expect(() => checkAst(sealedSelect('   Identifier _part'), SCOPE)).toThrow(/virtual column _part/);
    expect(() => checkAst(sealedSelect('   Identifier e._part_offset'), SCOPE)).toThrow(/virtual column _part_offset/);
    const tree = [
      'QUERY id: 0',
      '      COLUMN id: 2, column_name: _block_number, result_type: UInt64, source_id: 3',
      '    TABLE id: 3, alias: __table1, table_name: default.events',
      "  SETTINGS additional_table_filters={'events':'x'} readonly=1",
    ];
    expect(() => checkQueryTree(tree.join('\n'), 'default')).toThrow(/virtual column _block_number/);
  });

  it('tells several statements from other syntax errors, without echoing the check', () => {
    const several = parseRefusal(
      "Code: 62. DB::Exception: Syntax error (Multi-statements are not allowed): failed at position 9 (end of query): ; SELECT 2. : In scope SELECT formatQuerySingleLine('SELECT 1; SELECT 2'). (SYNTAX_ERROR)",
    );
    expect([several.code, several.message]).toEqual([
      'NOT_ONE_SELECT',
      'the query must be one SELECT statement, not several: Syntax error (Multi-statements are not allowed): failed at position 9 (end of query): ; SELECT 2.',
    ]);
    expect(parseRefusal('Code: 62. DB::Exception: Syntax error: failed at position 8. : In scope SELECT x').code).toBe(
      'SYNTAX_ERROR',
    );
  });

  it('admits one SELECT or WITH only, and one that runs as our subquery', () => {
    const row = (text: string | null, statement: string | null = 'ok') => ({ text, statement });
    const tables = ['events', 'api_keys'];
    expect(checkParse(row('SELECT 1'), 'default', tables).hiddenTables).toEqual(new Set(['api_keys']));
    expect(() => checkParse(row('WITH 1 AS x SELECT x'), 'default', tables)).not.toThrow();
    expect(() => checkParse(row('(SELECT 1)'), 'default', tables)).not.toThrow();
    expect(() => checkParse(row('SET readonly = 0'), 'default', tables)).toThrow(/found SET/);
    expect(() => checkParse(row('INSERT INTO events SELECT 1'), 'default', tables)).toThrow(/found INSERT/);
    expect(() => checkParse(row('SELECT 1 FORMAT CSV', null), 'default', tables)).toThrow(/without FORMAT/);
  });
});
