/**
 * Stable error codes shared by the core, the daemon and every client.
 * String keys are what scripts match on; the numbers are the JSON-RPC `error.code`
 * (application codes live in −32000…−32099, the standard ones keep their JSON-RPC values).
 */
export const ErrorCodes = {
  /** Malformed JSON on the wire. */
  PARSE_ERROR: -32700,
  /** Not a JSON-RPC 2.0 request object. */
  INVALID_REQUEST: -32600,
  /** No such method. */
  METHOD_NOT_FOUND: -32601,
  /** Params failed the method's schema; `data.issues` lists the zod issues. */
  INVALID_PARAMS: -32602,
  /** An unexpected failure inside the packer; `data` never carries a stack. */
  INTERNAL: -32603,
  /** `expectedRevision` no longer matches the current snapshot revision. */
  CONFLICT: -32001,
  /** The plan has blockers; `data.blockers` lists them. */
  BLOCKED: -32002,
  /** The daemon has not finished its initial scan or recovery. */
  NOT_READY: -32003,
  /** The registry failed validation, or its file has no owner write bit (e.g. 0444); the packer refuses to write it. */
  REGISTRY_READ_ONLY: -32004,
  /** `packer.json` is invalid; `data.file` and `data.field` name the problem. */
  INVALID_CONFIG: -32005,
  /** The operation was cancelled before it committed. */
  CANCELLED: -32006,
  /** No asset, operation or pack with that id or path. */
  NOT_FOUND: -32007,
  /** A path resolves outside the project (`..`, absolute elsewhere, symlink escape). */
  PATH_OUTSIDE_PROJECT: -32008,
  /** A path is malformed (empty, NUL byte, not inside an asset root). */
  INVALID_PATH: -32009,
  /** The registry file cannot be parsed or validated. */
  INVALID_REGISTRY: -32010,
  /** A filesystem operation failed; `data.path` and `data.syscall` say where. */
  IO_ERROR: -32011,
  /** The same `idempotencyKey` was used for a different mutation. */
  IDEMPOTENCY_MISMATCH: -32012,
  /** Client and daemon speak different protocol versions. */
  PROTOCOL_MISMATCH: -32013,
  /** A frame on the socket exceeded the size cap. */
  FRAME_TOO_LARGE: -32014,
  /** The client's event cursor is older than the oldest event the log still holds. */
  CURSOR_EXPIRED: -32015,
  /** A subscriber fell too far behind and was disconnected; resume from `data.resumeCursor` (or the `events.closed` notification's `resumeCursor`). */
  SUBSCRIBER_OVERFLOW: -32016,
  /** The daemon is shutting down and takes no new work. */
  SHUTTING_DOWN: -32017,
  /** The connection closed before the answer arrived: the outcome is unknown (check events or the audit log). */
  CONNECTION_LOST: -32018,
  /** A pack's header, table or an entry's bytes do not match what they claim; `data.section` says where. */
  PACK_CORRUPT: -32019,
  /** The crash journal in `.packer/` fails validation; it is never executed. `data.file` names it; the project is read-only until it is removed or fixed. */
  INVALID_JOURNAL: -32020,
  /** A mutation that deletes or overwrites files needs a confirmation: no terminal to ask on, so pass `--yes`. */
  CONFIRMATION_REQUIRED: -32021,
  /** A reply (a batch included) would exceed the size cap; ask for less (page, smaller batch). */
  REPLY_TOO_LARGE: -32022,
  /** The daemon's socket or its folder is not owned by the current user or is writable by others; nothing was sent. */
  UNSAFE_SOCKET: -32023,
  /** A target path resolves through a symlink, or a path changed under the packer while it was acting on it. */
  SYMLINK_IN_PATH: -32024,
  /** Too many requests or handshakes from one peer; try again later. */
  RATE_LIMITED: -32025,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

const codeByNumber = new Map<number, ErrorCode>(
  Object.entries(ErrorCodes).map(([key, value]) => [value, key as ErrorCode]),
);

/** Looks up the stable string code for a JSON-RPC error number. */
export function errorCodeOf(jsonRpcCode: number): ErrorCode | undefined {
  return codeByNumber.get(jsonRpcCode);
}

/** The one error class every layer throws and every client receives. */
export class PackerError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PackerError';
    this.code = code;
    this.data = data;
  }

  /** The JSON-RPC number for this error. */
  get rpcCode(): number {
    return ErrorCodes[this.code];
  }

  /** Serialisable form for the wire and for `--json` output. */
  toJSON(): { code: ErrorCode; message: string; data: Record<string, unknown> } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** Turns any thrown value into a PackerError without leaking a stack to clients. */
export function toPackerError(error: unknown): PackerError {
  if (error instanceof PackerError) return error;
  const err = error as NodeLikeError | undefined;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.syscall === 'string') {
    return new PackerError('IO_ERROR', `${err.syscall} failed for ${err.path ?? 'a file'}: ${err.code}`, {
      errno: err.code,
      syscall: err.syscall,
      path: err.path,
    }, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PackerError('INTERNAL', `Internal error: ${message}`, {}, { cause: error });
}

interface NodeLikeError {
  code?: unknown;
  syscall?: unknown;
  path?: string;
}
