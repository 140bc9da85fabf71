const STORAGE_KEY = 'nexus.token';

/**
 * The API token for servers that run with NEXUS_AUTH=tokens. Kept in sessionStorage (gone when the tab closes,
 * never in the URL or localStorage) and sent as `Authorization: Bearer` on every request. The stream client uses
 * fetch, not EventSource, so it can send the header too and needs no stream ticket. Local mode: leave it empty.
 */
export function storedToken(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function storeToken(token: string): void {
  try {
    if (token) sessionStorage.setItem(STORAGE_KEY, token);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled: the token lasts until the page reloads
  }
  current = token;
}

let current = storedToken();

export function authHeaders(): Record<string, string> {
  return current ? { authorization: `Bearer ${current}` } : {};
}
