// Emoji where the system can draw them, words where it cannot: a machine without an emoji font shows empty boxes,
// which tell a reaction or a speaking indicator from nothing.

const words: Record<string, string> = {
  '👍': '+1', '😂': 'haha', '😮': 'wow', '❤️': 'love', '🎉': 'party', '🔊': 'speaking', '🎙': 'in voice',
};

let colorEmoji: boolean | null = null;

/** Whether the browser draws emoji in colour: an emoji font paints coloured pixels, a missing glyph only the text colour. */
export function canDrawEmoji(): boolean {
  if (colorEmoji !== null) return colorEmoji;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 32;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return (colorEmoji = true);
  ctx.fillStyle = '#000';
  ctx.textBaseline = 'top';
  ctx.font = '24px sans-serif';
  ctx.fillText('😂', 2, 2);
  const pixels = ctx.getImageData(0, 0, 32, 32).data;
  colorEmoji = false;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] > 0 && (pixels[i] !== pixels[i + 1] || pixels[i + 1] !== pixels[i + 2])) {
      colorEmoji = true;
      break;
    }
  }
  document.documentElement.dataset.emoji = colorEmoji ? 'color' : 'text';
  return colorEmoji;
}

/** The emoji, or a word for it when it cannot be drawn (an unknown emoji is left as it is). */
export function emoji(symbol: string): string {
  return canDrawEmoji() ? symbol : words[symbol] ?? symbol;
}
