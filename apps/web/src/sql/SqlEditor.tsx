import { sql, SQLDialect } from '@codemirror/lang-sql';
import { EditorView, basicSetup } from 'codemirror';
import { keymap } from '@codemirror/view';
import { useEffect, useRef } from 'react';

// ClickHouse's words on top of standard SQL, so its types and functions highlight.
const ClickHouse = SQLDialect.define({
  keywords:
    'select from where group by order limit offset having with as and or not in is null join left right inner ' +
    'outer full cross on using union all distinct case when then else end between like ilike asc desc ' +
    'interval array prewhere final sample format settings any global exists',
  types:
    'uint8 uint16 uint32 uint64 int8 int16 int32 int64 float32 float64 decimal string fixedstring date date32 ' +
    'datetime datetime64 uuid bool lowcardinality nullable array tuple map',
  builtin:
    'count sum avg min max uniq uniqexact countif sumif avgif todate tostartofday tostartofweek ' +
    'tostartofmonth tostartofhour todatetime now today yesterday tostring touint32 tofloat64 round ' +
    'quantile median argmax argmin grouparray if multiif coalesce lower upper length substring',
});

interface Props {
  value: string;
  onChange: (sql: string) => void;
  onRun: () => void;
  tables: Record<string, string[]>;
}

/** CodeMirror 6 with ClickHouse highlighting and completion of the documented tables; Ctrl/Cmd+Enter runs. */
export function SqlEditor({ value, onChange, onRun, tables }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const handlers = useRef({ onChange, onRun });
  handlers.current = { onChange, onRun };

  useEffect(() => {
    if (!box.current) return;
    const editor = new EditorView({
      parent: box.current,
      doc: value,
      extensions: [
        keymap.of([{ key: 'Mod-Enter', run: () => (handlers.current.onRun(), true) }]),
        basicSetup,
        sql({ dialect: ClickHouse, schema: tables, upperCaseKeywords: true }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) handlers.current.onChange(u.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ 'aria-label': 'SQL' }),
      ],
    });
    view.current = editor;
    return () => editor.destroy();
    // The editor is made once per table list; later text changes come from the user.
  }, [tables]);

  return <div className="sql-editor" ref={box} data-testid="sql-editor" />;
}
