import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import proto from '@temporalio/proto';
import { referralSearchAttributes } from '../domain/search-attributes.js';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const indexedType = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
} as const;

/**
 * Registers the referral search attributes in a namespace that lacks them: a Temporal
 * cluster or Cloud namespace at deploy time, and the time-skipping test server. (The dev
 * server gets them from `--search-attribute` at start.) Existing attributes are left alone.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await customAttributeNames(connection, namespace);
  const missing = Object.entries(referralSearchAttributes).filter(([name]) => !existing.has(name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedType[type]])),
  });
  return missing.map(([name]) => name);
}

/** The time-skipping test server cannot list attributes (UNIMPLEMENTED): then none are known. */
async function customAttributeNames(connection: Connection, namespace: string): Promise<Set<string>> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set(Object.keys(customAttributes ?? {}));
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === grpcStatus.UNIMPLEMENTED) return new Set();
    throw error;
  }
}
