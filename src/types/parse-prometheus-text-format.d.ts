/**
 * Minimal types of `parse-prometheus-text-format` (the package ships none). It parses the
 * Prometheus text exposition format into families; every value is kept as written (a string).
 * Histograms and summaries come out flattened into one sample per family (`buckets` /
 * `quantiles`, `count`, `sum`) only when they carry no labels other than `le` / `quantile`.
 */
declare module 'parse-prometheus-text-format' {
  export interface PrometheusSample {
    readonly value?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly timestamp_ms?: string;
    /** Histograms: cumulative count per upper bound (`le`), `+Inf` included. */
    readonly buckets?: Readonly<Record<string, string>>;
    /** Summaries: value per quantile. */
    readonly quantiles?: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
  }

  export interface PrometheusFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: readonly PrometheusSample[];
  }

  /** Throws on a malformed line. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
