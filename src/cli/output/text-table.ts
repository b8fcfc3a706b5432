// Left-aligned text columns separated by two spaces, with no trailing spaces (golden-test friendly).

/** Renders rows (the first is the header) as aligned lines, each ending in `\n`. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  return rows
    .map((row) => `${row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell)))).join('  ').trimEnd()}\n`)
    .join('');
}

/** Display width in code points (good enough for names and statuses). */
function width(text: string): number {
  return Array.from(text).length;
}
