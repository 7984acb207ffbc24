import { Effect, Schema } from "effect"
import { CustomerInstanceId } from "../contracts/primitives.js"

const withDefault = <S extends Schema.Top>(schema: S, value: S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/** A reference to a secret kept outside the config file: an environment variable or a file. */
export const SecretRef = Schema.Union([
  Schema.Struct({
    $env: Schema.String.check(
      Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/u, { expected: "an environment variable name" })
    )
  }),
  Schema.Struct({
    $file: Schema.String.check(Schema.isBetweenLength(1, 4096, { expected: "a file path" }))
  })
]).annotate({
  identifier: "SecretRef",
  description:
    'A secret read from an environment variable ({"$env": "NAME"}) or a file ({"$file": "/run/secrets/x"}).'
})
export type SecretRef = typeof SecretRef.Type

/**
 * An egress allowlist entry: `api.example.com` matches that host exactly; `*.example.org`
 * matches its subdomains at any depth but not `example.org` itself.
 */
export const HostPattern = Schema.String.check(
  Schema.isPattern(
    /^(?:\*\.)?(?:[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]{0,61}[A-Za-z0-9\u0080-\uffff])?\.)*[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\u0080-\uffff-]{0,61}[A-Za-z0-9\u0080-\uffff])?\.?$/u,
    {
      expected: 'a host name such as "api.example.com" or a suffix pattern such as "*.example.org"'
    }
  )
).annotate({ identifier: "HostPattern" })

/** CIDR block such as 10.20.0.0/16 or fd00::/8. */
export const Cidr = Schema.String.check(
  Schema.isPattern(/^[0-9a-fA-F:.]{2,45}\/\d{1,3}$/u, { expected: "a CIDR block such as 10.20.0.0/16" })
)

/** Egress settings (platform-wide, or one customer instance's overrides). */
export const EgressSettings = Schema.Struct({
  allowlist: withDefault(Schema.Array(HostPattern).check(Schema.isMaxLength(1000)), []),
  /** Private ranges a customer instance may reach. Opening one is audited; empty by default. */
  allowPrivateRanges: withDefault(Schema.Array(Cidr).check(Schema.isMaxLength(64)), []),
  /** Ports allowed besides 80 and 443. */
  allowedPorts: withDefault(
    Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65535 }))).check(
      Schema.isMaxLength(64)
    ),
    []
  )
}).annotate({ identifier: "EgressSettings" })

/** Where risky tool classes (exec, browser, filesystem write, external send) may run. */
export const RiskyExecution = Schema.Literals(["sandbox_only", "deny"]).annotate({
  description: "sandbox_only: risky tools run only in sandbox lanes; deny: they never run."
})

const ApprovalTtlMinutes = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 43_200 }))

/** Per customer instance overrides of the platform settings. */
export const CustomerInstanceSettings = Schema.Struct({
  displayName: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 256))),
  tools: Schema.optionalKey(
    Schema.Struct({
      riskyRequireApproval: Schema.optionalKey(Schema.Boolean),
      approvalTtlMinutes: Schema.optionalKey(ApprovalTtlMinutes)
    })
  ),
  security: Schema.optionalKey(
    Schema.Struct({
      egress: Schema.optionalKey(
        Schema.Struct({
          allowlist: Schema.optionalKey(Schema.Array(HostPattern).check(Schema.isMaxLength(1000))),
          allowPrivateRanges: Schema.optionalKey(Schema.Array(Cidr).check(Schema.isMaxLength(64))),
          /** Ports this instance may reach besides 80 and 443; replaces the platform list when set. */
          allowedPorts: Schema.optionalKey(
            Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65535 }))).check(
              Schema.isMaxLength(64)
            )
          )
        })
      )
    })
  ),
  /** Audit records older than this many days may be pruned. */
  retentionDays: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 36_500 })))
}).annotate({ identifier: "CustomerInstanceSettings" })

/** Where runs, approvals and the audit log are kept. */
export const StorageSettings = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("sqlite"),
    path: withDefault(Schema.String.check(Schema.isBetweenLength(1, 4096)), ".data/bga.sqlite")
  }),
  Schema.Struct({ kind: Schema.Literal("postgres"), url: SecretRef }),
  Schema.Struct({ kind: Schema.Literal("memory") })
]).annotate({ identifier: "StorageSettings" })

/** A publisher key trusted to sign plugins. */
export const TrustedKey = Schema.Struct({
  keyId: Schema.String.check(Schema.isBetweenLength(1, 128)),
  /** ed25519 public key, base64 of its 32 raw bytes or an SPKI PEM block. */
  publicKey: Schema.String.check(Schema.isBetweenLength(40, 1024))
})

/** The signed catalog of curated plugin releases (trust mode `curated`). */
export const PluginCatalogSettings = Schema.Struct({
  /** Path of the catalog file (a `PluginCatalogV1` JSON document). */
  path: Schema.String.check(Schema.isBetweenLength(1, 4096)),
  /** Keys allowed to sign the catalog; kept apart from publisher keys so a publisher cannot curate itself. */
  signingKeys: Schema.Array(TrustedKey).check(Schema.isMinLength(1), Schema.isMaxLength(16))
}).annotate({ identifier: "PluginCatalogSettings" })

/**
 * BGA configuration. Every default is the B2B production default: there is no development
 * profile to forget to switch off.
 */
export const BgaConfig = Schema.Struct({
  $schema: Schema.optionalKey(Schema.String),
  deployment: withDefault(
    Schema.Struct({
      mode: withDefault(Schema.Literal("b2b"), "b2b"),
      id: Schema.optionalKey(CustomerInstanceId)
    }),
    {}
  ),
  security: withDefault(
    Schema.Struct({
      egress: withDefault(EgressSettings, {}),
      audit: Schema.optionalKey(Schema.Struct({ signingKey: Schema.optionalKey(SecretRef) }))
    }),
    {}
  ),
  plugins: withDefault(
    Schema.Struct({
      trustMode: withDefault(Schema.Literals(["signed", "curated"]), "signed"),
      trustedKeys: withDefault(Schema.Array(TrustedKey).check(Schema.isMaxLength(256)), []),
      revokedKeyIds: withDefault(Schema.Array(Schema.String).check(Schema.isMaxLength(4096)), []),
      catalog: Schema.optionalKey(PluginCatalogSettings),
      /** Where installed plugins live (one folder per name@version). */
      installDir: withDefault(Schema.String.check(Schema.isBetweenLength(1, 4096)), ".data/plugins")
    }),
    {}
  ),
  tools: withDefault(
    Schema.Struct({
      riskyExecution: withDefault(RiskyExecution, "sandbox_only"),
      riskyRequireApproval: withDefault(Schema.Boolean, false),
      approvalTtlMinutes: withDefault(ApprovalTtlMinutes, 30)
    }),
    {}
  ),
  storage: withDefault(StorageSettings, { kind: "sqlite" }),
  customerInstances: withDefault(
    Schema.Record(CustomerInstanceId, CustomerInstanceSettings).check(Schema.isMaxProperties(10_000)),
    {}
  )
}).annotate({ identifier: "BgaConfig", title: "BGA configuration" })

/** Decoded configuration with every default filled in. */
export type BgaConfig = typeof BgaConfig.Type
/** Configuration as written in a file: every key optional. */
export type BgaConfigInput = typeof BgaConfig.Encoded
