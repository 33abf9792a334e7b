/** The searchable text of a task: its id and prompt, lower-cased, the prompt cut at 2,000 characters. */
export function taskSearchText(id: string, prompt: string): string {
  return `${id}\n${prompt.slice(0, 2000)}`.toLowerCase();
}

/** A LIKE pattern that matches `text` anywhere, with `%`, `_` and `\` escaped (ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
