/** The URL as it may be shown: user name and password replaced by `***`; an unparsable value is `(invalid URL)`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '***';
      parsed.password = '';
    }
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Removes the remote cache's secrets (URL credentials, header values, a bearer token) from any text before it
 * reaches a log line, an event, an error message or a health field. Longest first, so a secret containing
 * another is removed whole.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(url: string, headers: Readonly<Record<string, string>>) {
    const found = new Set<string>();
    try {
      const parsed = new URL(url);
      for (const part of [parsed.username, parsed.password]) {
        if (!part) continue;
        found.add(part);
        found.add(safeDecode(part));
      }
    } catch {
      // An invalid URL never passed validation; nothing to collect.
    }
    for (const value of Object.values(headers)) {
      if (!value.trim()) continue;
      found.add(value);
      // `Bearer x` / `Basic x`: the credential alone may show up in a server's reply.
      const credential = /^\S+\s+(\S.*)$/.exec(value.trim())?.[1];
      if (credential) found.add(credential);
    }
    this.secrets = [...found].filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    // Any URL with userinfo, whoever wrote it into the text.
    return out.replace(/(https?:\/\/)[^\s/@]+@/gi, '$1***@');
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
