import { Type, type Static, type TSchema } from 'typebox';
import { COUNT_CAP, type KeysetPage } from '../db/repositories/keyset.js';
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

/** The deepest page a list serves by OFFSET (100,000 pages of up to 100 rows). */
export const MAX_OFFSET_PAGE = 100_000;

export const PageQuery = {
  // An OFFSET page: bounded (the answer's page must stay an exact integer); deeper lists move by cursor.
  page: Type.Integer({ minimum: 1, maximum: MAX_OFFSET_PAGE, default: 1, description: `at most ${MAX_OFFSET_PAGE}; use cursor beyond` }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  search: Type.Optional(Type.String({ maxLength: 200 })),
};

/** The big lists (customers, referrals) also take a cursor: keyset pages, fast at any depth. */
export const KeysetPageQuery = {
  ...PageQuery,
  cursor: Type.Optional(
    Type.String({ maxLength: 300, description: 'pagination.next_cursor or prev_cursor of an earlier answer; takes precedence over page' }),
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
