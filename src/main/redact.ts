/**
 * Secrets in connection URLs (`postgres://user:PASSWORD@host`, `nats://user:PASSWORD@host`,
 * `?password=…`) are replaced by `***` before a URL or a message that may quote one is logged or
 * shown. Works on any text, so error messages from drivers can be passed through it too.
 */
const USERINFO_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@,]*):[^\s@/,]*@/gi;
const QUERY_PASSWORD = /([?&](?:password|pass|token)=)[^&\s]*/gi;
/** NATS also takes a bare token as the user part: `nats://TOKEN@host`. */
const NATS_TOKEN = /((?:nats|tls|wss?):\/\/)([^\s:/@,]+)@/gi;

export function redactSecrets(text: string): string {
  return text.replace(USERINFO_PASSWORD, '$1:***@').replace(QUERY_PASSWORD, '$1***').replace(NATS_TOKEN, '$1***@');
}
