import { localeTag, t } from './i18n/locale.js';

/** `850 ms`, `4.2 s`, `3 m 05 s`, `2 h 10 m` (`4.2초`, `3분 05초` in Korean): short enough for a badge, precise where it matters. */
export function formatDuration(ms: number, u = t.time.unit): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}${u.ms}`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}${u.s}`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}${u.m} ${String(s % 60).padStart(2, '0')}${u.s}`;
  if (s < 86_400) return `${Math.floor(s / 3600)}${u.h} ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}${u.m}`;
  return `${Math.floor(s / 86_400)}${u.d} ${Math.floor((s % 86_400) / 3600)}${u.h}`;
}

/** Time left before an ask expires, counting down by the second. */
export function formatCountdown(ms: number, u = t.time.short): string {
  if (ms <= 0) return t.time.expired;
  const s = Math.ceil(ms / 1000);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  // Seconds keep ticking for the usual 24 h ask; only multi-day asks switch to days.
  if (s >= 2 * 86_400) return `${Math.floor(s / 86_400)}${u.d} ${Math.floor((s % 86_400) / 3600)}${u.h} ${String(mm).padStart(2, '0')}${u.m}`;
  const hh = Math.floor(s / 3600);
  if (hh > 0) return `${hh}${u.h} ${String(mm).padStart(2, '0')}${u.m} ${String(ss).padStart(2, '0')}${u.s}`;
  return `${mm}${u.m} ${String(ss).padStart(2, '0')}${u.s}`;
}

/** Date and time in the reader's locale, for how far back the loaded history goes. */
export function formatWhen(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(localeTag, { dateStyle: 'medium', timeStyle: 'medium', hour12: false });
}

export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString(localeTag, { hour12: false });
}

/**
 * JSON for display: indented, but short values stay on one line so an approver sees the whole action at a glance.
 * Always valid JSON of exactly the value (never a lossy summary), bounded so a huge payload cannot freeze the page.
 */
export function formatJson(value: unknown, limit = 4000): string {
  const text = pretty(value, '');
  return text.length > limit ? `${text.slice(0, limit)}\n… (${text.length - limit} more characters)` : text;
}

const ONE_LINE = 60;

function pretty(value: unknown, indent: string): string {
  const flat = JSON.stringify(value) ?? 'undefined';
  if (value === null || typeof value !== 'object' || flat.length <= ONE_LINE) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + pretty(v ?? null, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** `830 B`, `14.2 KB`, `9.5 MB`: file sizes as a person reads them (1 KB = 1024 B, as the file manager says). */
export function formatBytes(bytes: number, u = t.time.bytes): string {
  if (bytes < 1024) return `${bytes}${u.b}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}${u.kb}`;
  return `${(bytes / (1024 * 1024)).toFixed(1)}${u.mb}`;
}
