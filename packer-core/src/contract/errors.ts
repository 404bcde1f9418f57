import type { BuildReport } from './build-schema.js';
import type { Diagnostic } from './diagnostics.js';
import type { Plan } from './mutation-schema.js';

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
  /** The snapshot moved on since `expectedRevision` and the mutation re-planned now does something else (`data.changes`
   * says what). */
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
  /** A subscriber fell too far behind and was disconnected; resume from `data.resumeCursor` (or the `events.closed`
   * notification's `resumeCursor`). */
  SUBSCRIBER_OVERFLOW: -32016,
  /** The daemon is shutting down and takes no new work. */
  SHUTTING_DOWN: -32017,
  /** The connection closed before the answer arrived: the outcome is unknown (check events or the audit log). */
  CONNECTION_LOST: -32018,
  /** A pack's header, table or an entry's bytes do not match what they claim; `data.section` says where. */
  PACK_CORRUPT: -32019,
  /** The crash journal in `.packer/` fails validation; it is never executed. `data.file` names it; the project is
   * read-only until it is removed or fixed. */
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
  /** A plan id the daemon does not hold (evicted, or from before a restart) or already applied: preview again.
   * `data.reason` says which. */
  PLAN_EXPIRED: -32026,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

const codeByNumber = new Map<number, ErrorCode>(
  Object.entries(ErrorCodes).map(([key, value]) => [value, key as ErrorCode]),
);

/** True for one of the stable string codes (what a peer sends in `data.code` is checked, not trusted). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/** Looks up the stable string code for a JSON-RPC error number. */
export function errorCodeOf(jsonRpcCode: number): ErrorCode | undefined {
  return codeByNumber.get(jsonRpcCode);
}

/** Fields any error's data may carry. */
interface CommonErrorData {
  /** What to do next, for people. */
  hint?: string;
  /** The operation the error ended (a build's or an apply's). */
  operationId?: string;
  /** What a failed commit's rollback could not undo, step by step. */
  rollbackProblems?: Diagnostic[];
}

/** Where in a file a problem is: the file, the field (`a.b[2]`) and, for JSON syntax, line and column. */
interface FileLocation {
  file?: string;
  field?: string;
  line?: number;
  column?: number;
}

/** One schema problem, as zod reported it. */
export interface ErrorIssue {
  path: string;
  message: string;
  code?: string;
}

/** A failed filesystem or network call. */
interface SystemCallData {
  path?: string;
  syscall?: string;
  errno?: string;
}

/**
 * The structured `data` each error code carries (the error-data slot of vscode's protocol types, one row per
 * code). Clients read it through `isPackerError(error, code)`, which narrows `data` to the row; no casts.
 */
export interface ErrorData {
  PARSE_ERROR: CommonErrorData;
  INVALID_REQUEST: CommonErrorData;
  METHOD_NOT_FOUND: CommonErrorData;
  INVALID_PARAMS: CommonErrorData & {
    /** The schema problems, first one first. */
    issues?: ErrorIssue[];
    /** A page token that is not one of ours. */
    page?: string;
  };
  INTERNAL: CommonErrorData & {
    /**
     * For an operation a crashed daemon left unterminated: where recovery left it. `before` (nothing changed),
     * `after` (a build replaced every pack; a mutation past its commit point ends `completed` instead, see
     * RecoveredApplyResult), `partial` (a build replaced some packs), `unknown` (the journal was unreadable).
     */
    recovered?: 'before' | 'after' | 'partial' | 'unknown';
    /** Packs an interrupted build replaced, and packs that kept their previous version. */
    replaced?: string[];
    kept?: string[];
  };
  CONFLICT: CommonErrorData & {
    /** The revision the caller planned against (from its preview or page token). */
    expectedRevision?: number;
    /** The revision the snapshot is at now. */
    currentRevision?: number;
    /** What changed: the plan the same mutation makes at `currentRevision` (preview it again to confirm). */
    plan?: Plan;
    /** How that plan differs from the one previewed (one sentence each), when the packer still knew the preview. */
    changes?: string[];
    /** The page token that no longer matches (the list or the pack changed since). */
    page?: string;
  };
  BLOCKED: CommonErrorData & {
    /** Why: the plan's or the build's blockers (for a build, the assets that failed). */
    blockers: Diagnostic[];
    warnings?: Diagnostic[];
    /** The refused plan (mutations). */
    plan?: Plan;
    /** The revision a blocked build planned against. */
    revision?: number;
    /** A build with failed assets: what it did for the packs that had none. */
    report?: BuildReport;
  };
  NOT_READY: CommonErrorData & {
    /** The process that holds the project (a running daemon) or did not stop in time. */
    pid?: number;
    /** The daemon's log, for a start-up that went wrong. */
    logFile?: string;
    /** The socket that did not answer. */
    path?: string;
    /** A WebSocket that could not be opened, and why. */
    url?: string;
    reason?: string;
    closeCode?: number;
    /** The Studio page folder that is not built. */
    webRoot?: string;
  };
  REGISTRY_READ_ONLY: CommonErrorData & {
    file?: string;
    /** The registry file's mode, when its write bit is off. */
    mode?: string;
    blockers?: Diagnostic[];
    plan?: Plan;
  };
  INVALID_CONFIG: CommonErrorData &
    FileLocation & {
      issues?: ErrorIssue[];
      /** The folder a search for packer.json started in. */
      from?: string;
    };
  CANCELLED: CommonErrorData;
  NOT_FOUND: CommonErrorData & {
    /** The id, name or path asked for. */
    ref?: string;
    path?: string;
    /** Unknown pack names, and the ones that exist. */
    pack?: string;
    packs?: string[];
    known?: string[];
    subscriptionId?: string;
  };
  PATH_OUTSIDE_PROJECT: CommonErrorData & { path: string };
  INVALID_PATH: CommonErrorData & FileLocation & { path?: string; diagnostic?: string };
  INVALID_REGISTRY: CommonErrorData &
    FileLocation & {
      /** The diagnostic code the problem matches (`INVALID_PATH`, `DUPLICATE_ID`, …). */
      diagnostic?: string;
    };
  IO_ERROR: CommonErrorData &
    SystemCallData & {
      /** The listener address that could not be bound. */
      host?: string;
      port?: number;
      /** The journal step that could not run. */
      step?: number;
    };
  IDEMPOTENCY_MISMATCH: CommonErrorData & { idempotencyKey: string };
  PROTOCOL_MISMATCH: CommonErrorData & { daemon: number; client: number };
  FRAME_TOO_LARGE: CommonErrorData & { limit?: number };
  CURSOR_EXPIRED: CommonErrorData & {
    cursor: string;
    /** The oldest event the log holds: resume from just before it. */
    oldestCursor?: string;
    currentCursor?: string;
  };
  SUBSCRIBER_OVERFLOW: CommonErrorData & { resumeCursor?: string };
  SHUTTING_DOWN: CommonErrorData;
  CONNECTION_LOST: CommonErrorData & { method?: string };
  PACK_CORRUPT: CommonErrorData & { path?: string; section?: string; entry?: string };
  INVALID_JOURNAL: CommonErrorData & FileLocation;
  CONFIRMATION_REQUIRED: CommonErrorData & { baseRevision?: number };
  REPLY_TOO_LARGE: CommonErrorData & { limit?: number; ran?: boolean; size?: number };
  UNSAFE_SOCKET: CommonErrorData & SystemCallData & { owner?: number; uid?: number; mode?: string };
  SYMLINK_IN_PATH: CommonErrorData & { path: string; target?: string };
  RATE_LIMITED: CommonErrorData;
  PLAN_EXPIRED: CommonErrorData & {
    planId: string;
    /** `unknown`: never made here, or evicted (the daemon keeps the last 16 plans, none across restarts); `applied`:
     * this plan was already applied. */
    reason: 'unknown' | 'applied';
    baseRevision?: number;
  };
}

/** An error as it travels (the wire, `--json`, a `failed` event): one member per code, so `code` narrows `data`. */
export type PackerErrorJSON<C extends ErrorCode = ErrorCode> = {
  [K in C]: { code: K; message: string; data: ErrorData[K] };
}[C];

/** Data is optional to pass when every field of the code's row is. */
type DataArguments<C extends ErrorCode> = object extends ErrorData[C]
  ? [data?: ErrorData[C], options?: { cause?: unknown }]
  : [data: ErrorData[C], options?: { cause?: unknown }];

/** The one error class every layer throws and every client receives; `data` is the row of `ErrorData` for its code. */
export class PackerError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly data: ErrorData[C];

  constructor(code: C, message: string, ...[data, options]: DataArguments<C>) {
    super(message, options);
    this.name = 'PackerError';
    this.code = code;
    this.data = data ?? ({} as ErrorData[C]);
  }

  /** The JSON-RPC number for this error. */
  get rpcCode(): number {
    return ErrorCodes[this.code];
  }

  /** Serialisable form for the wire and for `--json` output. */
  toJSON(): PackerErrorJSON<C> {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** True for a PackerError (of `code`, when given), narrowing `data` to that code's row:
 * `isPackerError(error, 'CONFLICT')`. */
export function isPackerError<C extends ErrorCode = ErrorCode>(error: unknown, code?: C): error is PackerError<C> {
  return error instanceof PackerError && (code === undefined || error.code === code);
}

/** Turns any thrown value into a PackerError without leaking a stack to clients. */
export function toPackerError(error: unknown): PackerError {
  if (error instanceof PackerError) return error;
  const err = error as NodeLikeError | undefined;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.syscall === 'string') {
    return new PackerError(
      'IO_ERROR',
      `${err.syscall} failed for ${err.path ?? 'a file'}: ${err.code}`,
      {
        errno: err.code,
        syscall: err.syscall,
        path: err.path,
      },
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PackerError('INTERNAL', `Internal error: ${message}`, {}, { cause: error });
}

interface NodeLikeError {
  code?: unknown;
  syscall?: unknown;
  path?: string;
}
