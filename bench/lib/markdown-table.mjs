// Markdown output: every section prints through these so the report reads as one document.

/** Formats milliseconds as "123 ms" or "1.23 s". */
export function ms(value) {
  if (!Number.isFinite(value)) return '—';
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 10) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(2)} ms`;
}

/** Formats a ratio as "1.23×". */
export function times(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

/** Formats kilobytes as MB. */
export function mb(kilobytes) {
  return Number.isFinite(kilobytes) ? `${(kilobytes / 1024).toFixed(0)} MB` : '—';
}

/** Formats a count with thousands separators. */
export function count(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '—';
}

/** Formats a rate as "12,345/s". */
export function perSecond(value) {
  return Number.isFinite(value) ? `${count(value)}/s` : '—';
}

function cell(value) {
  return String(value ?? '—')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
}

/**
 * Renders one Markdown table. `rows` are arrays of cells (in `columns` order) or objects keyed by column name.
 * `notes` are printed under the table as a bullet list.
 */
export function renderTable(title, columns, rows, notes = []) {
  const lines = [];
  if (title) lines.push(`### ${title}`, '');
  lines.push(`| ${columns.map(cell).join(' | ')} |`);
  lines.push(`| ${columns.map((_, index) => (index === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const row of rows) {
    const cells = Array.isArray(row) ? row : columns.map((column) => row[column]);
    lines.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  if (notes.length > 0) lines.push('', ...notes.map((note) => `- ${note}`));
  lines.push('');
  return lines.join('\n');
}
