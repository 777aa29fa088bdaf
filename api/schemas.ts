import { AjvCompiler } from '@fastify/ajv-compiler';
import { Type, type Static, type TProperties, type TSchema } from 'typebox';
import { COUNT_CAP, type KeysetPage } from '../db/repositories/keyset.js';
import { REFERRAL_CODE_ALPHABET, REFERRAL_CODE_LENGTH } from '../domain/referral-code.js';
import { REPORT_PERIODS } from '../domain/periods.js';
import { REFERRAL_STATUSES } from '../domain/referral-status.js';

/** Shared JSON schemas: validation, serialisation and the OpenAPI document come from these. */

export const ErrorReply = Type.Object(
  {
    error: Type.String({ description: 'machine-readable code, e.g. validation_error' }),
    message: Type.String({ description: 'what went wrong, in words' }),
    details: Type.Optional(Type.Array(Type.Unknown())),
  },
  { $id: 'ErrorReply' },
);

export const errorReplies = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, Type.Ref('ErrorReply')]));

/**
 * A parameter the client may leave out, with a `default`: the document says optional, and the
 * handler's type says present, because Ajv fills the default in before the handler runs
 * (Fastify's `useDefaults`). Plain `Type.Optional` would say optional in both; a plain property
 * is `required` in the document although the code never needed it.
 */
export const Defaulted = <T extends TSchema>(schema: T): T => Type.Optional(schema) as unknown as T;

/**
 * A query string's parameters: an undeclared one is a 400, like an undeclared body field (a
 * misspelt filter would otherwise be ignored, and list or export everything).
 */
export const Query = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: false });

/** The deepest page a list serves by OFFSET (100,000 pages of up to 100 rows). */
export const MAX_OFFSET_PAGE = 100_000;

export const PageQuery = {
  // An OFFSET page: bounded (the answer's page must stay an exact integer); deeper lists move by cursor.
  page: Defaulted(
    Type.Integer({ minimum: 1, maximum: MAX_OFFSET_PAGE, default: 1, description: `at most ${MAX_OFFSET_PAGE}; use cursor beyond` }),
  ),
  limit: Defaulted(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  search: Type.Optional(Type.String({ maxLength: 200 })),
};

/** The big lists (customers, referrals) also take a cursor: keyset pages, fast at any depth. */
export const KeysetPageQuery = {
  ...PageQuery,
  cursor: Type.Optional(
    Type.String({
      maxLength: 300,
      pattern: '^[A-Za-z0-9_-]+$',
      description:
        'pagination.next_cursor or prev_cursor of an earlier answer, unchanged (base64url); takes precedence over page. ' +
        'Any other value, or a cursor of the other sort order, is a 400 invalid_cursor',
    }),
  ),
};

export const Pagination = Type.Object({
  page: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer({ description: 'matching rows; an estimate when total_exact is false' }),
  total_pages: Type.Integer(),
  total_exact: Type.Optional(
    Type.Boolean({ description: `false when more than ${COUNT_CAP} rows match: total is then the planner's estimate` }),
  ),
  next_cursor: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the next page (null on the last)' })),
  prev_cursor: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the previous page (null on the first)' })),
});

export const pageOf = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item), pagination: Pagination });

export function pagination(page: number, limit: number, total: number): Static<typeof Pagination> {
  return { page, limit, total, total_pages: Math.ceil(total / limit) };
}

export function keysetPagination(limit: number, result: KeysetPage<unknown>): Static<typeof Pagination> {
  return {
    ...pagination(result.page, limit, result.total),
    total_exact: result.totalExact,
    next_cursor: result.nextCursor,
    prev_cursor: result.prevCursor,
  };
}

/** Around an email address or a referral code: white space the API trims (a pasted address often has some). */
const SPACE = '[ \\t\\r\\n]*';

/**
 * The pattern of `isEmail` (domain/email.ts, which keeps it private): the HTML living standard's,
 * one @ and a dotted domain. test/fuzz-findings.test.ts checks that both agree.
 */
const EMAIL_PATTERN_SOURCE =
  "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+";

/** An email address as the API takes it (`isEmail`), white space around it ignored; stored lower-cased. */
export const EmailAddress = (description?: string) =>
  Type.String({
    minLength: 3,
    maxLength: 254,
    pattern: `^${SPACE}(?:${EMAIL_PATTERN_SOURCE})${SPACE}$`,
    description: `an email address${description ? `: ${description}` : ''}; white space around it is ignored`,
  });

/** A referral code as people type it: its 8 characters in either case, with spaces or dashes anywhere. */
export const ReferralCodeInput = Type.String({
  minLength: REFERRAL_CODE_LENGTH,
  maxLength: 20,
  pattern: `^[ \\t\\r\\n-]*(?:[${REFERRAL_CODE_ALPHABET}${REFERRAL_CODE_ALPHABET.toLowerCase()}][ \\t\\r\\n-]*){${REFERRAL_CODE_LENGTH}}$`,
  description: `${REFERRAL_CODE_LENGTH} characters of ${REFERRAL_CODE_ALPHABET} (no 0/O, 1/I/L), case, spaces and dashes ignored, e.g. ABC-234-56`,
});

export const Timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const ReferralStatusSchema = Type.Enum(REFERRAL_STATUSES);

/** `?period=` in days, one of REPORT_PERIODS (the referral list, the dashboard and the analytics). */
export const reportPeriod = (description: string, defaultPeriod?: number) =>
  Type.Union(
    REPORT_PERIODS.map((p) => Type.Literal(p)),
    { description: `${description}: one of ${REPORT_PERIODS.join(', ')}`, ...(defaultPeriod !== undefined && { default: defaultPeriod }) },
  );

/** The referral list's filters; the referral export takes the same. */
export const ReferralFilterQuery = {
  search: PageQuery.search,
  status: Type.Optional(ReferralStatusSchema),
  flagged: Type.Optional(Type.Boolean()),
  period: Type.Optional(reportPeriod('submitted in the last N days')),
  sort: Type.Optional(Type.Enum(['newest', 'oldest'], { default: 'newest' })),
};

export const Customer = Type.Object(
  {
    id: Type.String(),
    bebsy_customer_id: Type.String(),
    name: Type.String(),
    email: Type.String(),
    referral_code: Type.String(),
    locale: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Customer' },
);

export const Referral = Type.Object(
  {
    id: Type.String(),
    referrer_id: Type.String(),
    referrer_code: Type.String(),
    referrer_name: Type.String(),
    new_customer_email: Type.String(),
    booking_reference: Nullable(Type.String()),
    claimed_booking_reference: Nullable(
      Type.String({
        description: 'a booking reference given on the form that another referral already held (flagged booking_reference_in_use)',
      }),
    ),
    status: ReferralStatusSchema,
    reward_amount: Type.Number({ description: 'EUR' }),
    booking_value: Nullable(Type.Number({ description: 'EUR' })),
    currency: Nullable(Type.String()),
    departure_date: Nullable(Type.String({ format: 'date' })),
    flagged: Type.Boolean(),
    flag_reasons: Type.Array(Type.String()),
    rejection_reason: Nullable(Type.String()),
    workflow_id: Type.String(),
    submitted_at: Type.String({ format: 'date-time' }),
    awaiting_booking_at: Timestamp,
    booking_confirmed_at: Timestamp,
    approved_at: Timestamp,
    approved_by: Nullable(Type.String()),
    paid_at: Timestamp,
    rejected_at: Timestamp,
    rejected_by: Nullable(Type.String()),
    expired_at: Timestamp,
    revoked_at: Timestamp,
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Referral' },
);

export const sharedSchemas = [ErrorReply, Customer, Referral];

type ValidatorBuilder = ReturnType<typeof AjvCompiler>;

/**
 * Fastify's Ajv compilers, one per part of the request: query strings, path parameters and
 * headers are coerced (`coerceTypes: 'array'`: `?status=a&status=b`, `?page=2`), JSON bodies are
 * not. A coercing Ajv would take `"name": false` for the string "false", a lone id for a list,
 * and 9007199254740993 (beyond JavaScript's safe integers) for an id string after it lost its
 * last digit; a body is valid as sent or it is a 400, checked once.
 */
export function validatorsByRequestPart(): ValidatorBuilder {
  const fromPool = AjvCompiler();
  return (externalSchemas, options) => {
    const coercing = fromPool(externalSchemas, options);
    if (options?.mode === 'JTD') return coercing; // JSON Type Definition never coerces
    const asSent = fromPool(externalSchemas, { ...options, customOptions: { ...options?.customOptions, coerceTypes: false } });
    return (route) => (route.httpPart === 'body' ? asSent : coercing)(route);
  };
}
