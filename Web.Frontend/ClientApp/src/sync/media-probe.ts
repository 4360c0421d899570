// What the browser can tell of a media URL before the room plays it.

/** Reads the media's duration from its metadata (so the room can refuse seeks past the end); null when unknown. */
export function probeDuration(url: string): Promise<number | null> {
  return new Promise(resolve => {
    const probe = document.createElement('video');
    probe.preload = 'metadata';
    probe.muted = true;
    const done = (value: number | null) => { clearTimeout(timer); probe.removeAttribute('src'); probe.load(); resolve(value); };
    const timer = setTimeout(() => done(null), 4000);
    probe.onloadedmetadata = () => done(Number.isFinite(probe.duration) ? Math.round(probe.duration * 1000) : null);
    probe.onerror = () => done(null);
    probe.src = url;
  });
}
