/** A request that never got a usable reply: refused, reset, timed out. Counts toward the breaker. */
export class ConnectionError extends Error {}

/** A reply with a status other than the ones the protocol allows (200/404 for reads, 2xx for writes). */
export class StatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A reply longer than the caller allows: the server's answer cannot be what was asked for. */
export class BodyTooLarge extends Error {}
