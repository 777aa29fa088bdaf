import { status as grpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';

/**
 * Whether an error means the Temporal service is not reachable right now (gRPC UNAVAILABLE: a
 * restart, an outage, a connection that cannot be made), rather than anything about the
 * request: the API answers 503 with Retry-After, and the processes wait for it at start. Looks through the client's wrappers.
 */
export function isTemporalUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  // DEADLINE_EXCEEDED: no answer within the API's deadline for the call (withCallDeadline)
  if (isGrpcServiceError(error) && (error.code === grpcStatus.UNAVAILABLE || error.code === grpcStatus.DEADLINE_EXCEEDED)) return true;
  const e = error as { cause?: unknown; name?: unknown; message?: unknown };
  if (e.name === 'TransportError' || (typeof e.message === 'string' && /Failed to connect before the deadline/.test(e.message)))
    return true;
  return isTemporalUnavailable(e.cause, depth + 1);
}
