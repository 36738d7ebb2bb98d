import Type, { type Static } from 'typebox'
import { LogLevel } from './ids.js'

/**
 * The OpenFAST dispatch server (`edgetwin dispatch serve`). Secrets are never in this file: the bearer
 * tokens come from the environment variable named by `auth.tokenEnv` (comma-separated, to allow rotation).
 */
export const DispatchConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /** Run folders (`runs/<id>`), uploaded decks (`decks/<id>`) and the local object store live here. */
    dataDir: Type.String({ minLength: 1, default: './.edgetwin/dispatch' }),
    auth: Type.Object(
      {
        /** Off only for local development; the server logs a warning when it is. */
        enabled: Type.Boolean({ default: true }),
        tokenEnv: Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$', default: 'EDGETWIN_DISPATCH_TOKEN' }),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Type.Object(
      {
        /** Default: the number of CPUs (filled by the config loader). */
        maxConcurrentRuns: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
        /** Runs waiting for a slot; one more is refused with 429. */
        maxQueuedRuns: Type.Integer({ minimum: 0, maximum: 10_000, default: 32 }),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 64 * 1024 }),
        uploadLimitBytes: Type.Integer({ minimum: 1024, maximum: 2 * 1024 * 1024 * 1024, default: 64 * 1024 * 1024 }),
        maxDeckFiles: Type.Integer({ minimum: 1, maximum: 10_000, default: 200 }),
        runTimeoutS: Type.Number({ exclusiveMinimum: 0, maximum: 7 * 86_400, default: 3600 }),
        /** Grace between SIGTERM and SIGKILL when a run is canceled or times out. */
        killGraceMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 5000 }),
        /** Requests per client per minute (every request but /healthz counts, with or without a token). */
        rateLimitPerMinute: Type.Integer({ minimum: 1, default: 600 }),
        /**
         * The largest `.out` file one run may write: a request that implies more is refused at submit time, a run that
         * writes more is stopped.
         */
        maxOutputBytes: Type.Integer({ minimum: 1024 * 1024, maximum: 64 * 1024 ** 3, default: 256 * 1024 * 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
    openfast: Type.Object(
      {
        /** Executable name (looked up on PATH) or absolute path; run without a shell. */
        executable: Type.String({ minLength: 1, default: 'openfast' }),
        /** Version reported in the status; `openfast -v` is not parsed. */
        version: Type.String({ minLength: 1, default: '4.1.2' }),
        /** Template deck folder; default: the NREL 5-MW deck shipped in the package. */
        templateDeckDir: Type.Optional(Type.String({ minLength: 1 })),
        entryFile: Type.String({ pattern: '^[A-Za-z0-9._-]+\\.fst$', default: 'NREL-5MW.fst' }),
        /** The Bladed-style controller library (ROSCO's libdiscon.so) every run uses. */
        controllerLibraryPath: Type.String({ minLength: 1, default: '/usr/local/lib/libdiscon.so' }),
        /**
         * Least privilege for the openfast child, beside its own working folder: `network` `isolate` runs it in a new
         * network namespace (`unshare -n`, or `unshare -rn` without root) when the host allows one and warns when not;
         * `required` refuses to start without; `off` does not try. Resource limits are set with `prlimit` when present.
         */
        sandbox: Type.Object(
          {
            network: Type.Union([Type.Literal('isolate'), Type.Literal('required'), Type.Literal('off')], { default: 'isolate' }),
            addressSpaceBytes: Type.Integer({ minimum: 256 * 1024 * 1024, default: 8 * 1024 ** 3 }),
            maxOpenFiles: Type.Integer({ minimum: 16, maximum: 65_536, default: 1024 }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Finished runs' folders (`runs/<id>`, with their results) are deleted runsMaxAgeS after they finished, uploaded decks
     * (`decks/<id>`) that long after their upload unless a queued or running run needs them. */
    retention: Type.Object(
      {
        runsMaxAgeS: Type.Integer({ minimum: 1, maximum: 365 * 86_400, default: 7 * 86_400 }),
        sweepIntervalS: Type.Integer({ minimum: 1, maximum: 86_400, default: 600 }),
      },
      { additionalProperties: false, default: {} },
    ),
    rotorModel: Type.Object(
      {
        outputDtS: Type.Number({ minimum: 0.001, maximum: 10, default: 0.05 }),
        /** A calibration file of `edgetwin model calibrate`; default: the model's built-in calibration. */
        calibrationFile: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false, default: {} },
    ),
    objectStore: Type.Object(
      {
        adapter: Type.Union([Type.Literal('local'), Type.Literal('s3')], { default: 'local' }),
        /** Local adapter: folder (relative to dataDir unless absolute). */
        localDir: Type.String({ minLength: 1, default: 'object-store' }),
        bucket: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' })),
        prefix: Type.String({ pattern: '^[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-]+)*$', default: 'simulations' }),
        region: Type.Optional(Type.String({ minLength: 1 })),
        /** Custom endpoint (S3-compatible stores, tests). */
        endpoint: Type.Optional(Type.String({ pattern: '^https?://' })),
        forcePathStyle: Type.Boolean({ default: false }),
      },
      { additionalProperties: false, default: {} },
    ),
    logLevel: LogLevel,
  },
  { $id: 'DispatchConfig', additionalProperties: false },
)
export type DispatchConfig = Static<typeof DispatchConfig>
