// Wording shared by the pages (pure: node tests import it).

/** "Ann", "Ann and Bob", "Ann, Bob and Cy". */
export function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
