#!/usr/bin/env node
// Prints one total line for a whole `npm test` run from its log: the node:test summaries
// ("ℹ pass N", "ℹ fail N", "ℹ skipped N", "ℹ todo N") of every package, added up.
// Usage: node scripts/test-totals.mjs <log-file>
import { readFileSync } from 'node:fs';

const [logFile] = process.argv.slice(2);
if (!logFile) {
  console.error('usage: test-totals.mjs <log-file>');
  process.exit(2);
}
const totals = { pass: 0, fail: 0, skipped: 0, todo: 0 };
// nx prefixes each streamed line with the project name; the summary key comes after the marker.
const summary = /ℹ (pass|fail|skipped|todo) (\d+)\s*$/;
// Colours (nx forces them on) would hide the end of the line from the pattern.
const colours = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
for (const line of readFileSync(logFile, 'utf8').split('\n')) {
  const match = summary.exec(line.replace(colours, ''));
  if (match) totals[match[1]] += Number(match[2]);
}
console.log(
  `\n${totals.pass} passed, ${totals.fail} failed, ${totals.skipped + totals.todo} skipped (all packages)`,
);
