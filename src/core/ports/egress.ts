/**
 * The egress gateway: a proxy run by the node through which `allowlist` sleeves reach the
 * network. A sleeve has no network of its own; the runtime binds the grant's Unix socket into it
 * and runs a small forwarder there so HTTP(S)_PROXY=http://127.0.0.1:<port> reaches the proxy.
 */
export interface EgressDecision {
  readonly sleeveId: string;
  readonly at: number;
  /** `CONNECT host:port` or `GET http://…` as received. */
  readonly request: string;
  /** The host as parsed and dialled (lowercase, no trailing dot), or null if unparseable. */
  readonly host: string | null;
  readonly port: number | null;
  readonly allowed: boolean;
  /** Why (e.g. `not in allowlist`, `malformed host`, `allowlisted`). */
  readonly why: string;
}

export interface EgressGrant {
  /** Unix socket of this sleeve's proxy endpoint (bind it into the sleeve). */
  readonly socketPath: string;
  /** Closes the endpoint; in-flight connections are cut. */
  release(): Promise<void>;
}

export interface EgressGateway {
  open(input: {
    sleeveId: string;
    /** `host` or `host:port` entries. */
    allow: readonly string[];
    onDecision?: (d: EgressDecision) => void;
  }): Promise<EgressGrant>;
  close(): Promise<void>;
}
