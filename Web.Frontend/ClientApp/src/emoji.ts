// Emoji where the system can draw them, words where it cannot: a machine without an emoji font shows empty boxes,
// which tell a reaction or a speaking indicator from nothing.

const words: Record<string, string> = {
  '👍': '+1', '😂': 'haha', '😮': 'wow', '❤️': 'love', '🎉': 'party', '🔊': 'speaking', '🎙': 'in voice',
};

const drawable = new Map<string, boolean>();
let canvas: CanvasRenderingContext2D | null | undefined;

function pixels(ctx: CanvasRenderingContext2D, text: string): Uint8ClampedArray {
  ctx.clearRect(0, 0, 32, 32);
  ctx.fillText(text, 2, 2);
  return ctx.getImageData(0, 0, 32, 32).data;
}

/**
 * Whether the browser has a glyph for the symbol: it paints something, and not the box it paints for a code point no
 * font has (a private-use one).
 */
export function canDraw(symbol: string): boolean {
  const known = drawable.get(symbol);
  if (known !== undefined) return known;
  if (canvas === undefined) {
    const node = document.createElement('canvas');
    node.width = node.height = 32;
    canvas = node.getContext('2d', { willReadFrequently: true });
    if (canvas) {
      canvas.textBaseline = 'top';
      canvas.font = '24px sans-serif';
    }
  }
  if (!canvas) return true;
  const missing = pixels(canvas, '\u{10FFFD}');
  const drawn = pixels(canvas, symbol);
  let painted = false;
  let differs = false;
  for (let i = 0; i < drawn.length; i++) {
    if (i % 4 === 3 && drawn[i] > 0) painted = true;
    if (drawn[i] !== missing[i]) differs = true;
  }
  drawable.set(symbol, painted && differs);
  return painted && differs;
}

/** The emoji, or a word for it where it cannot be drawn (an emoji without a word is left as it is). */
export function emoji(symbol: string): string {
  return symbol in words && !canDraw(symbol) ? words[symbol] : symbol;
}
