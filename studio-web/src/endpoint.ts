// How the page finds the daemon: `packer studio` printed a URL whose fragment holds the daemon's WebSocket token
// (a fragment never reaches a server, a log or a Referer). The page moves it out of the address bar into this
// tab's session storage, and trades it at the page server for the daemon's current WebSocket url and token
// (a restarted daemon has a new token and maybe a new port).

export interface Endpoint {
  url: string;
  token: string;
}

/** The page server refused the token, or could not reach the daemon: its words, shown as they are. */
export class EndpointRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'EndpointRefused';
  }
}

const STORAGE_KEY = 'packer-studio-token';

/** The token from the URL fragment (then removed from the address bar), or the one this tab kept. */
export function takeToken(): string | undefined {
  const fromFragment = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (fromFragment) {
    window.sessionStorage.setItem(STORAGE_KEY, fromFragment);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    return fromFragment;
  }
  return window.sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

/** Asks the page server for the daemon's WebSocket url and its current token, presenting the token we hold. */
export async function fetchEndpoint(token: string): Promise<Endpoint> {
  const response = await fetch('./studio/endpoint', {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  const body = (await response.json().catch(() => undefined)) as
    { url?: string; token?: string; error?: { message?: string; hint?: string } } | undefined;
  if (!response.ok || !body?.url || !body.token) {
    throw new EndpointRefused(
      body?.error?.message ?? `The page server answered HTTP ${response.status}.`,
      response.status,
      body?.error?.hint,
    );
  }
  window.sessionStorage.setItem(STORAGE_KEY, body.token);
  return { url: body.url, token: body.token };
}
