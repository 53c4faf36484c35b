/** One line of EXPLAIN AST output as a node: `Function in (children 1)` is kind Function, name in. */
export interface ExplainNode {
  depth: number;
  kind: string;
  /** What follows the kind, without the `(alias …)` and `(children N)` notes. */
  name: string;
  /** The whole line, trimmed. */
  text: string;
  children: ExplainNode[];
}

/**
 * EXPLAIN AST's indented lines as a tree (one space of indent per level); the
 * root is a synthetic node at depth -1. The embedded engine may quote each line.
 */
export function explainTree(output: string): ExplainNode {
  const root: ExplainNode = { depth: -1, kind: '', name: '', text: '', children: [] };
  const stack: ExplainNode[] = [root];
  for (const raw of output.split('\n')) {
    if (raw.trim() === '') continue;
    const line = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    const depth = line.length - line.trimStart().length;
    const text = line.trim();
    const space = text.indexOf(' ');
    const kind = space < 0 ? text : text.slice(0, space);
    const name = (space < 0 ? '' : text.slice(space + 1)).replace(/( \((alias [^)]*|children \d+)\))+$/, '');
    const node: ExplainNode = { depth, kind, name, text, children: [] };
    while (stack.length > 1 && stack[stack.length - 1].depth >= depth) stack.pop();
    stack[stack.length - 1].children.push(node);
    stack.push(node);
  }
  return root;
}
