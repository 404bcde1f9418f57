import type { ErrorCode } from '@packer/studio-adapter/browser';

export interface ErrorNoticeProps {
  error: unknown;
  testId?: string;
}

/** An error as the packer (or the page server) worded it: code, message and hint, nothing added. */
export function ErrorNotice({ error, testId = 'error' }: ErrorNoticeProps) {
  if (error === undefined || error === null) return null;
  const shaped = error as { code?: ErrorCode; message?: string; hint?: string; data?: { hint?: unknown } };
  const hint = typeof shaped.data?.hint === 'string' ? shaped.data.hint : shaped.hint;
  return (
    <div className="error" role="alert" data-testid={testId}>
      {shaped.code ? <strong className="error-code">{shaped.code}</strong> : null}{' '}
      <span className="error-message">{shaped.message ?? String(error)}</span>
      {hint ? <div className="error-hint">{hint}</div> : null}
    </div>
  );
}
