// Names of the grid's time windows (pure: node tests import it). Each column heading is the window's start as a clock
// time, which no two windows share, and how far away it is ("in 2:30"), which a person reads at a glance.

const pad = (n: number) => String(n).padStart(2, '0');

/** hh:mm:ss in the browser's time zone. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "now" for a window under way, "in 25 s", "in 2:30" (to the second: rounding to minutes made neighbours alike). */
export function untilText(windowStart: number, nowMs: number): string {
  const seconds = Math.round((windowStart - nowMs) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 60) return `in ${seconds} s`;
  return `in ${Math.floor(seconds / 60)}:${pad(seconds % 60)}`;
}

export interface WindowHeading { clock: string; until: string }

export function windowHeading(windowStart: number, nowMs: number): WindowHeading {
  return { clock: clockTime(windowStart), until: untilText(windowStart, nowMs) };
}
