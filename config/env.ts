import path from 'node:path';
import { z } from 'zod';
import { isEmail } from '../domain/email.js';
import { eurosToCents } from '../domain/money.js';
import { passwordProblem } from '../domain/password-policy.js';

/**
 * The process configuration, parsed and validated once at start-up. The seed's variable
 * names are a contract; every variable is documented in `.env.example`.
 * A bad value stops the process with a message that names the variable.
 */

export const DEFAULT_ADMIN_USERNAME = 'admin';
export const DEFAULT_ADMIN_PASSWORD = 'admin123';
const DEVELOPMENT_JWT_SECRET = 'development-only-jwt-secret-change-me-in-production';
/** Development only, so the README's curl examples can sign webhooks; production must set its own. */
export const DEVELOPMENT_WEBHOOK_SECRET = `whsec_${Buffer.from('bebsy-development-webhook-secret').toString('base64')}`;

/**
 * Secrets anyone can read, refused in production: the development defaults above (in this
 * public repository, the webhook one printed by the README's curl walk), and the example of the
 * Standard Webhooks specification (its test vector, copied into every library's docs). A value
 * shown as an example in the README, docs/ or .env.example belongs here too
 * (test/config-production.test.ts scans them).
 */
const PUBLIC_SECRETS: Record<'JWT_SECRET' | 'BOOKING_WEBHOOK_SECRET', string[]> = {
  JWT_SECRET: [DEVELOPMENT_JWT_SECRET],
  BOOKING_WEBHOOK_SECRET: [DEVELOPMENT_WEBHOOK_SECRET, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
};
/** Database passwords documented as defaults: docker-compose.yml's when POSTGRES_PASSWORD is unset. */
const PUBLIC_DATABASE_PASSWORDS = ['bebsy'];

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number) => z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(min);
const euros = z.coerce
  .number({ message: 'must be an amount in euros, e.g. 25 or 25.50' })
  .nonnegative('must not be negative')
  .transform(eurosToCents);
const optionalString = z.string().min(1).optional();

/** A rate limit: `<max>/<window>` (window in s, m or h, e.g. `100/15m`), or `off`. */
export interface RateLimitSetting {
  max: number;
  windowMs: number;
}
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;
const rateLimit = z
  .string()
  .trim()
  .regex(/^(off|[1-9]\d*\/[1-9]\d*[smh])$/i, 'must be "<max>/<window>" with the window in s, m or h (e.g. 100/15m), or off')
  .transform((v): RateLimitSetting | null => {
    if (v.toLowerCase() === 'off') return null;
    const [, max, amount, unit] = /^(\d+)\/(\d+)([smh])$/i.exec(v)!;
    return { max: Number(max), windowMs: Number(amount) * UNIT_MS[unit.toLowerCase() as keyof typeof UNIT_MS] };
  });

/** Fastify's trustProxy: false, true (every hop), a hop count, or the proxies' addresses / CIDR ranges. */
const trustProxy = z
  .string()
  .trim()
  .transform((v): boolean | number | string[] => {
    if (/^(false|no|0)$/i.test(v)) return false;
    if (/^(true|yes)$/i.test(v)) return true;
    if (/^\d+$/.test(v)) return Number(v);
    return v
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
  });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: int(0).max(65535).default(3001),
  HOST: z.string().default('0.0.0.0'),
  /** Unset: http://localhost:PORT, so links in emails follow the port the API runs on. */
  FRONTEND_URL: z.string().url('must be a URL').optional(),
  BOOKING_SITE_URL: z.string().url('must be a URL').default('https://www.bebsy.nl'),
  DATA_DIR: z.string().default('.data'),
  /** Unset: on outside production, off in production. */
  API_DOCS: bool.optional(),
  TRUST_PROXY: trustProxy.default(false),

  JWT_SECRET: optionalString,
  JWT_EXPIRES_IN: z.string().default('8h'),
  ADMIN_USERNAME: z.string().min(1).default(DEFAULT_ADMIN_USERNAME),
  ADMIN_PASSWORD: z.string().min(1).default(DEFAULT_ADMIN_PASSWORD),

  DATABASE_URL: z.string().url('must be a postgres:// URL').optional(),
  /** A read replica for the export and analytics reads; unset: they read DATABASE_URL's database. */
  DATABASE_READ_URL: z.string().url('must be a postgres:// URL').optional(),
  DB_HOST: optionalString,
  DB_PORT: int(1).max(65535).default(5432),
  DB_USER: z.string().default('postgres'),
  DB_PASSWORD: z.string().optional(),
  DB_NAME: z.string().default('bebsy_referrals'),
  DB_SSL: bool.default(false),
  DB_POOL_MIN: int(0).default(2),
  DB_POOL_MAX: int(1).default(10),
  DB_POOL_IDLE_TIMEOUT: int(0).default(30_000),
  DB_CONNECTION_TIMEOUT: int(0).default(10_000),
  EMBEDDED_POSTGRES_PORT: int(0).max(65535).default(0),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('referrals'),
  TEMPORAL_PORT: int(0).max(65535).default(7233),
  TEMPORAL_UI_PORT: int(0).max(65535).default(8233),
  TEMPORAL_WEB_URL: z.string().url('must be a URL').optional(),
  /** Unset: TLS when any TEMPORAL_TLS_* or TEMPORAL_API_KEY is set (Temporal Cloud), else plain gRPC. */
  TEMPORAL_TLS: bool.optional(),
  /** mTLS client certificate and key, and the CA to trust: a PEM file's path or the PEM itself. */
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_TLS_CA: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  /** Temporal Cloud API key (sent as `Authorization: Bearer`; implies TLS). */
  TEMPORAL_API_KEY: optionalString,
  /** host:port where the worker's Temporal SDK runtime serves its Prometheus metrics; unset: off. */
  TEMPORAL_METRICS_ADDRESS: optionalString,
  /** Port of the worker's own /metrics (business metrics); unset: off. */
  WORKER_METRICS_PORT: int(0).max(65535).optional(),

  DEFAULT_REWARD_AMOUNT: euros.prefault('25'),
  AVERAGE_BOOKING_VALUE: euros.prefault('1500'),
  MAX_REFERRALS_PER_CUSTOMER: int(0).default(0),
  AUTO_APPROVE_REFERRALS: bool.default(false),
  REQUIRE_BOOKING_REFERENCE: bool.default(false),
  REFERRAL_EXPIRY_DAYS: int(1).default(90),
  REWARD_HOLD_DAYS: int(0).default(14),
  CLAWBACK_WINDOW_DAYS: int(0).default(60),

  BOOKING_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be a Standard Webhooks secret: "whsec_" followed by base64')
    .optional(),

  FROM_EMAIL: z.string().default('Bebsy <referrals@bebsy.nl>'),
  EMAIL_TRANSPORT: z.enum(['outbox', 'resend', 'smtp'], { message: 'must be outbox, resend or smtp' }).optional(),
  RESEND_API_KEY: optionalString,
  ADMIN_NOTIFICATION_EMAILS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((a) => a.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine((list) => list.every(isEmail), 'must be email addresses separated by commas')
    .default([]),
  RESEND_BASE_URL: z.string().url('must be a URL, e.g. https://api.resend.com').default('https://api.resend.com'),
  SMTP_HOST: optionalString,
  SMTP_PORT: int(1).max(65535).default(587),
  SMTP_USER: optionalString,
  SMTP_PASSWORD: optionalString,
  SMTP_SECURE: bool.default(false),
  REDIS_URL: optionalString,
  RATE_LIMIT_ENABLED: bool.default(true),
  RATE_LIMIT_API: rateLimit.prefault('100/15m'),
  RATE_LIMIT_ADMIN: rateLimit.prefault('3000/15m'),
  RATE_LIMIT_LOGIN_IP: rateLimit.prefault('5/15m'),
  RATE_LIMIT_LOGIN_ACCOUNT: rateLimit.prefault('10/15m'),
  RATE_LIMIT_REFERRAL_FORM: rateLimit.prefault('20/15m'),
  RATE_LIMIT_CODE_LOOKUP: rateLimit.prefault('60/15m'),
  RATE_LIMIT_WEBHOOKS: rateLimit.prefault('1200/1m'),
  RATE_LIMIT_REDIS_PREFIX: z.string().min(1).default('bebsy:rate-limit:'),
  S3_BUCKET: optionalString,
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  FARO_COLLECTOR_URL: z.string().url('must be the URL of a Grafana Faro collector').optional(),
  FARO_APP_NAME: z.string().default('bebsy-referrals-admin'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Unset: pretty on a terminal outside production, JSON lines otherwise. */
  LOG_FORMAT: z.enum(['json', 'pretty'], { message: 'must be json or pretty' }).optional(),
  IMPORT_MAX_BYTES: int(1).default(256 * 1024 * 1024),
  EXPORT_STALL_TIMEOUT_SECONDS: int(1).default(60),
  IMPORT_STORAGE_DIR: optionalString,
  APPROVAL_DIGEST_CRON: z
    .string()
    .trim()
    .regex(/^(off|@\w+|\S+(\s+\S+){4,6})$/i, 'must be a cron expression (e.g. "0 8 * * *", Europe/Amsterdam time) or "off"')
    .default('0 8 * * *'),
  BACKUP_CRON: z
    .string()
    .trim()
    .regex(/^(off|@\w+|\S+(\s+\S+){4,6})$/i, 'must be a cron expression (e.g. "0 2 * * *", Europe/Amsterdam time) or "off"')
    .default('0 2 * * *'),
  BACKUP_DIR: optionalString,
  BACKUP_RETENTION_DAYS: int(1).default(30),
  AWS_REGION: z.string().min(1).default('eu-central-1'),
  S3_ENDPOINT: z.string().url('must be the URL of an S3-compatible endpoint, e.g. http://minio:9000').optional(),
  PG_BIN_DIR: optionalString,
  HOUSEKEEPING_CRON: z
    .string()
    .trim()
    .regex(/^(off|@\w+|\S+(\s+\S+){4,6})$/i, 'must be a cron expression (e.g. "30 3 * * *", Europe/Amsterdam time) or "off"')
    .default('30 3 * * *'),
  AUDIT_RETENTION_DAYS: int(1).default(365),
});

export type Env = z.infer<typeof schema>;

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  /**
   * bookingSiteUrl: where a referred friend books (the public page links there); apiDocs: serve
   * /api/docs; trustProxy: which proxies' X-Forwarded-For to believe for the client's address.
   */
  http: {
    host: string;
    port: number;
    frontendUrl: string;
    bookingSiteUrl: string;
    apiDocs: boolean;
    trustProxy: boolean | number | string[];
  };
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  /** JSON lines (production, files, log shippers) or pino-pretty's coloured lines (a developer's terminal). */
  logFormat: 'json' | 'pretty';
  auth: { jwtSecret: string; jwtExpiresIn: string; adminUsername: string; adminPassword: string };
  database: {
    /** null: no database configured, the dev launcher starts an embedded Postgres. */
    url: string | null;
    /**
     * DATABASE_READ_URL: a read replica for the reads that may lag (exports, the dashboard and
     * analytics; api/app.ts `readDb`); null: they read the primary (`url`).
     */
    readUrl: string | null;
    ssl: boolean;
    pool: { min: number; max: number; idleTimeoutMillis: number; connectionTimeoutMillis: number };
    embeddedPort: number;
  };
  temporal: {
    /** null: no server configured, the dev launcher starts `temporal server start-dev`. */
    address: string | null;
    namespace: string;
    taskQueue: string;
    devPort: number;
    devUiPort: number;
    webUrl: string;
    /** TLS / mTLS and API-key authentication (temporal-config/connection.ts); null: plain gRPC. */
    tls: TemporalTlsConfig | null;
    apiKey: string | null;
  };
  /** Prometheus endpoints of the worker (the API serves /metrics on its own port). */
  metrics: { temporalSdkAddress: string | null; workerPort: number | null };
  referrals: ReferralPolicyConfig;
  webhooks: { bookingSecret: string };
  email: EmailConfig;
  /** Grafana Faro in the browser: on when a collector URL is configured. */
  faro: { collectorUrl: string; appName: string } | null;
  /** The daily digest of pending approvals (a Temporal Schedule); cron null: switched off. */
  approvalDigest: { cron: string | null; timeZone: string };
  /** Customer CSV imports: the upload limit (413 above it) and where uploads wait for the worker. */
  imports: { maxBytes: number; storageDir: string };
  /** Nightly database backups (a Temporal Schedule) and their restore drill; cron null: switched off. */
  backups: BackupConfig;
  /** The housekeeping Schedule: prunes old audit rows, processed inbox rows, finished import files, old outbox bodies. */
  housekeeping: { cron: string | null; timeZone: string; auditRetentionDays: number };
  /** A download whose client has read nothing for this long is cut off (it holds a database connection). */
  exports: { stallTimeoutMs: number };
  rateLimit: RateLimitConfig;
}

/** TLS towards Temporal: each PEM as given (a path or the PEM itself), read by temporal-config/connection.ts. */
export interface TemporalTlsConfig {
  clientCert: string | null;
  clientKey: string | null;
  ca: string | null;
  serverName: string | null;
}

/**
 * Request limits (api/plugins/rate-limit.ts, docs/operations.md); null: that limit is off.
 * Counted in Redis when redisUrl is set (shared by every API instance), else in memory.
 */
export interface RateLimitConfig {
  enabled: boolean;
  /** /api requests without a valid token, per client address. */
  api: RateLimitSetting | null;
  /** /api requests with a valid token, per signed-in user. */
  admin: RateLimitSetting | null;
  /** Failed sign-ins per client address; successful ones are not counted. */
  loginIp: RateLimitSetting | null;
  /** Failed sign-ins per username (known or not). */
  loginAccount: RateLimitSetting | null;
  /** POST /api/referrals per client address. */
  referralForm: RateLimitSetting | null;
  /** GET /api/public/referral-codes/:code per client address. */
  codeLookup: RateLimitSetting | null;
  /** POST /api/webhooks/bookings per client address. */
  webhooks: RateLimitSetting | null;
  redisUrl: string | null;
  redisPrefix: string;
}

/**
 * How email leaves the platform (EMAIL_TRANSPORT). Every message is stored in the outbox table
 * first; `outbox` stops there (admins read it in the UI), `resend` and `smtp` deliver it.
 * Unset: `resend` when RESEND_API_KEY is set, else `outbox`.
 */
export type EmailTransportConfig =
  | { kind: 'outbox' }
  | { kind: 'resend'; apiKey: string; baseUrl: string }
  | {
      kind: 'smtp';
      host: string;
      port: number;
      /** true: implicit TLS from the first byte (usually port 465); false: STARTTLS when offered. */
      secure: boolean;
      /** null: the server takes mail without authentication. */
      auth: { user: string; pass: string } | null;
    };

/** Email settings (`config.email`). */
export interface EmailConfig {
  from: string;
  /** Links in emails point here (FRONTEND_URL). */
  frontendUrl: string;
  transport: EmailTransportConfig;
  /** Who gets the admin messages (flagged referrals, the daily digest); may be empty. */
  adminRecipients: string[];
}

/**
 * Where backups go: the S3 bucket (S3_BUCKET; S3_ENDPOINT for an S3-compatible store) or, with
 * no bucket, the folder `dir` (BACKUP_DIR, default DATA_DIR/backups). pgBinDir: where pg_dump and
 * pg_restore are (PG_BIN_DIR; null: the PATH, then /usr/lib/postgresql/<server major>/bin).
 */
export interface BackupConfig {
  cron: string | null;
  timeZone: string;
  retentionDays: number;
  dir: string;
  s3: { bucket: string; region: string; endpoint: string | null; accessKeyId: string | null; secretAccessKey: string | null } | null;
  pgBinDir: string | null;
}

export interface ReferralPolicyConfig {
  rewardAmountCents: number;
  averageBookingValueCents: number;
  maxReferralsPerCustomer: number;
  autoApprove: boolean;
  requireBookingReference: boolean;
  expiryDays: number;
  rewardHoldDays: number;
  clawbackWindowDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The problems of production's secrets: every one the world knows is refused, by name, never printing the value. */
function productionSecretProblems(env: Env): string[] {
  const problems: string[] = [];
  if (!env.JWT_SECRET || env.JWT_SECRET.length < 32) {
    problems.push('JWT_SECRET: must be set to at least 32 characters in production');
  } else if (PUBLIC_SECRETS.JWT_SECRET.includes(env.JWT_SECRET)) {
    problems.push(
      'JWT_SECRET: is the development secret from config/env.ts, publicly known; set a random one (e.g. openssl rand -base64 48)',
    );
  }
  if (!env.BOOKING_WEBHOOK_SECRET) {
    problems.push('BOOKING_WEBHOOK_SECRET: must be set in production (booking webhooks are refused without it)');
  } else if (PUBLIC_SECRETS.BOOKING_WEBHOOK_SECRET.includes(env.BOOKING_WEBHOOK_SECRET)) {
    problems.push(
      'BOOKING_WEBHOOK_SECRET: is a publicly known example (the development default or the Standard Webhooks example); use the secret your booking system generated',
    );
  }
  if (env.ADMIN_PASSWORD === DEFAULT_ADMIN_PASSWORD) {
    problems.push('ADMIN_PASSWORD: the default admin password is not allowed in production; set your own');
  } else {
    const weak = passwordProblem(env.ADMIN_PASSWORD, [env.ADMIN_USERNAME]);
    if (weak) problems.push(`ADMIN_PASSWORD: ${weak}; set your own`);
  }
  const urlPassword = env.DATABASE_URL ? decodeURIComponent(new URL(env.DATABASE_URL).password) : '';
  if (PUBLIC_DATABASE_PASSWORDS.includes(urlPassword)) {
    problems.push(
      "DATABASE_URL: its password is docker-compose.yml's default, publicly known; set POSTGRES_PASSWORD (or your own password)",
    );
  }
  const readUrlPassword = env.DATABASE_READ_URL ? decodeURIComponent(new URL(env.DATABASE_READ_URL).password) : '';
  if (PUBLIC_DATABASE_PASSWORDS.includes(readUrlPassword)) {
    problems.push(
      "DATABASE_READ_URL: its password is docker-compose.yml's default, publicly known; set POSTGRES_PASSWORD (or your own password)",
    );
  }
  if (!env.DATABASE_URL && env.DB_PASSWORD && PUBLIC_DATABASE_PASSWORDS.includes(env.DB_PASSWORD)) {
    problems.push("DB_PASSWORD: is docker-compose.yml's default database password, publicly known; set your own");
  }
  return problems;
}

/** TLS is on when asked for, or when a certificate, a CA, a server name or an API key is given (Temporal Cloud needs TLS). */
function temporalTls(env: Env): TemporalTlsConfig | null {
  const given = [env.TEMPORAL_TLS_CERT, env.TEMPORAL_TLS_KEY, env.TEMPORAL_TLS_CA, env.TEMPORAL_TLS_SERVER_NAME, env.TEMPORAL_API_KEY].some(
    Boolean,
  );
  if (!(env.TEMPORAL_TLS ?? given)) return null;
  return {
    clientCert: env.TEMPORAL_TLS_CERT ?? null,
    clientKey: env.TEMPORAL_TLS_KEY ?? null,
    ca: env.TEMPORAL_TLS_CA ?? null,
    serverName: env.TEMPORAL_TLS_SERVER_NAME ?? null,
  };
}

function databaseUrl(env: Env): string | null {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.DB_HOST) return null;
  const url = new URL('postgres://localhost');
  url.hostname = env.DB_HOST;
  url.port = String(env.DB_PORT);
  url.username = env.DB_USER;
  if (env.DB_PASSWORD) url.password = env.DB_PASSWORD;
  url.pathname = `/${env.DB_NAME}`;
  return url.toString();
}

/** EMAIL_TRANSPORT and the variables of the transport it names; problems name the missing variable. */
function emailTransport(env: Env, problems: string[]): EmailTransportConfig {
  const kind = env.EMAIL_TRANSPORT ?? (env.RESEND_API_KEY ? 'resend' : 'outbox');
  if (kind === 'resend') {
    if (!env.RESEND_API_KEY) {
      problems.push('RESEND_API_KEY: must be set when EMAIL_TRANSPORT is resend');
      return { kind: 'outbox' };
    }
    return { kind: 'resend', apiKey: env.RESEND_API_KEY, baseUrl: env.RESEND_BASE_URL.replace(/\/+$/, '') };
  }
  if (kind === 'smtp') {
    if (!env.SMTP_HOST) problems.push('SMTP_HOST: must be set when EMAIL_TRANSPORT is smtp');
    if (env.SMTP_USER && !env.SMTP_PASSWORD) problems.push('SMTP_PASSWORD: must be set when SMTP_USER is set');
    if (!env.SMTP_USER && env.SMTP_PASSWORD) problems.push('SMTP_USER: must be set when SMTP_PASSWORD is set');
    return {
      kind: 'smtp',
      host: env.SMTP_HOST ?? '',
      port: env.SMTP_PORT,
      secure: env.SMTP_SECURE,
      auth: env.SMTP_USER && env.SMTP_PASSWORD ? { user: env.SMTP_USER, pass: env.SMTP_PASSWORD } : null,
    };
  }
  return { kind: 'outbox' };
}

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const blankAsUnset = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(blankAsUnset);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const env = parsed.data;
  const isProduction = env.NODE_ENV === 'production';
  const frontendUrl = env.FRONTEND_URL ?? `http://localhost:${env.PORT}`;
  const problems: string[] = isProduction ? productionSecretProblems(env) : [];
  if (env.DB_POOL_MIN > env.DB_POOL_MAX) problems.push('DB_POOL_MIN: must not exceed DB_POOL_MAX');
  if (Boolean(env.TEMPORAL_TLS_CERT) !== Boolean(env.TEMPORAL_TLS_KEY)) {
    problems.push('TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY: mTLS needs both the client certificate and its key');
  }
  if (env.TEMPORAL_TLS === false && (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS_CERT)) {
    problems.push('TEMPORAL_TLS: cannot be false with TEMPORAL_API_KEY or a client certificate (both need TLS)');
  }
  const transport = emailTransport(env, problems);
  if (problems.length) throw new ConfigError(problems);

  return {
    env: env.NODE_ENV,
    isProduction,
    http: {
      host: env.HOST,
      port: env.PORT,
      frontendUrl,
      bookingSiteUrl: env.BOOKING_SITE_URL,
      apiDocs: env.API_DOCS ?? !isProduction,
      trustProxy: env.TRUST_PROXY,
    },
    dataDir: env.DATA_DIR,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT ?? (!isProduction && process.stdout.isTTY ? 'pretty' : 'json'),
    auth: {
      jwtSecret: env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
      jwtExpiresIn: env.JWT_EXPIRES_IN,
      adminUsername: env.ADMIN_USERNAME,
      adminPassword: env.ADMIN_PASSWORD,
    },
    database: {
      url: databaseUrl(env),
      readUrl: env.DATABASE_READ_URL ?? null,
      ssl: env.DB_SSL,
      pool: {
        min: env.DB_POOL_MIN,
        max: env.DB_POOL_MAX,
        idleTimeoutMillis: env.DB_POOL_IDLE_TIMEOUT,
        connectionTimeoutMillis: env.DB_CONNECTION_TIMEOUT,
      },
      embeddedPort: env.EMBEDDED_POSTGRES_PORT,
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS ?? null,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      devPort: env.TEMPORAL_PORT,
      devUiPort: env.TEMPORAL_UI_PORT,
      webUrl: env.TEMPORAL_WEB_URL ?? `http://localhost:${env.TEMPORAL_UI_PORT}`,
      tls: temporalTls(env),
      apiKey: env.TEMPORAL_API_KEY ?? null,
    },
    metrics: { temporalSdkAddress: env.TEMPORAL_METRICS_ADDRESS ?? null, workerPort: env.WORKER_METRICS_PORT ?? null },
    referrals: {
      rewardAmountCents: env.DEFAULT_REWARD_AMOUNT,
      averageBookingValueCents: env.AVERAGE_BOOKING_VALUE,
      maxReferralsPerCustomer: env.MAX_REFERRALS_PER_CUSTOMER,
      autoApprove: env.AUTO_APPROVE_REFERRALS,
      requireBookingReference: env.REQUIRE_BOOKING_REFERENCE,
      expiryDays: env.REFERRAL_EXPIRY_DAYS,
      rewardHoldDays: env.REWARD_HOLD_DAYS,
      clawbackWindowDays: env.CLAWBACK_WINDOW_DAYS,
    },
    webhooks: { bookingSecret: env.BOOKING_WEBHOOK_SECRET ?? DEVELOPMENT_WEBHOOK_SECRET },
    email: {
      from: env.FROM_EMAIL,
      frontendUrl,
      transport,
      adminRecipients: env.ADMIN_NOTIFICATION_EMAILS,
    },
    faro: env.FARO_COLLECTOR_URL ? { collectorUrl: env.FARO_COLLECTOR_URL, appName: env.FARO_APP_NAME } : null,
    exports: { stallTimeoutMs: env.EXPORT_STALL_TIMEOUT_SECONDS * 1000 },
    rateLimit: {
      enabled: env.RATE_LIMIT_ENABLED,
      api: env.RATE_LIMIT_API,
      admin: env.RATE_LIMIT_ADMIN,
      loginIp: env.RATE_LIMIT_LOGIN_IP,
      loginAccount: env.RATE_LIMIT_LOGIN_ACCOUNT,
      referralForm: env.RATE_LIMIT_REFERRAL_FORM,
      codeLookup: env.RATE_LIMIT_CODE_LOOKUP,
      webhooks: env.RATE_LIMIT_WEBHOOKS,
      redisUrl: env.REDIS_URL ?? null,
      redisPrefix: env.RATE_LIMIT_REDIS_PREFIX,
    },
    imports: { maxBytes: env.IMPORT_MAX_BYTES, storageDir: env.IMPORT_STORAGE_DIR ?? path.join(env.DATA_DIR, 'imports') },
    approvalDigest: {
      cron: env.APPROVAL_DIGEST_CRON.toLowerCase() === 'off' ? null : env.APPROVAL_DIGEST_CRON,
      timeZone: 'Europe/Amsterdam',
    },
    backups: {
      cron: env.BACKUP_CRON.toLowerCase() === 'off' ? null : env.BACKUP_CRON,
      timeZone: 'Europe/Amsterdam',
      retentionDays: env.BACKUP_RETENTION_DAYS,
      dir: env.BACKUP_DIR ?? path.join(env.DATA_DIR, 'backups'),
      s3: env.S3_BUCKET
        ? {
            bucket: env.S3_BUCKET,
            region: env.AWS_REGION,
            endpoint: env.S3_ENDPOINT ?? null,
            accessKeyId: env.AWS_ACCESS_KEY_ID ?? null,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? null,
          }
        : null,
      pgBinDir: env.PG_BIN_DIR ?? null,
    },
    housekeeping: {
      cron: env.HOUSEKEEPING_CRON.toLowerCase() === 'off' ? null : env.HOUSEKEEPING_CRON,
      timeZone: 'Europe/Amsterdam',
      auditRetentionDays: env.AUDIT_RETENTION_DAYS,
    },
  };
}
