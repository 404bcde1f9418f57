/**
 * Quotes one word for a POSIX shell: the command git runs as the merge driver, and the commands the merge driver
 * tells people to run.
 */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
