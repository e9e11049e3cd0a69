// One catalogue of admin API errors. Codes are stable: scripts and docs/admin.md rely on them.
// Every error is JSON: {"error": {"code": "...", "message": "..."}} with the status below.

export const AdminErrorCode = {
  /** No `Authorization: Bearer <token>`, or the wrong token (401, with WWW-Authenticate). */
  unauthorized: 'unauthorized',
  /**
   * An Authorization header sent to an admin API that has no token configured (401): the client
   * thinks it is protected and is not, or is talking to the wrong server.
   */
  unexpectedToken: 'unexpected-token',
  /**
   * The Host header is not the listener's own address, nor localhost on loopback, nor a name in
   * admin.allowed_hosts (403): a DNS-rebinding page, or a proxy not listed (src/admin/guard.ts).
   */
  forbiddenHost: 'forbidden-host',
  /**
   * A change requested from another origin: an Origin header that is not the API's own, or
   * Sec-Fetch-Site other than same-origin or none (403): a cross-site request from a web page.
   */
  forbiddenOrigin: 'forbidden-origin',
  /**
   * A change (any method but GET and HEAD) without Content-Type: application/json (415): no web
   * page can send that to another origin without a CORS preflight, which this API never grants.
   */
  jsonRequired: 'json-required',
  /** A request body that is not empty or one JSON object with the keys the route takes (400). */
  badBody: 'bad-body',
  /** A request body over 16 KiB (413). */
  bodyTooLarge: 'body-too-large',
  /** No such route (404). */
  notFound: 'not-found',
  /** The route exists but not for this method (405, with Allow). */
  methodNotAllowed: 'method-not-allowed',
  /** A required query parameter is missing (400). */
  missingParam: 'missing-param',
  /** A query parameter has a value the route cannot use (400). */
  badParam: 'bad-param',
  /** explain: not a domain name, query type or client address (400; the same codes as the CLI). */
  badName: 'bad-name',
  badType: 'bad-type',
  badClient: 'bad-client',
  /** `?zone=` names no zone being served (404). */
  unknownZone: 'unknown-zone',
  /** No zone being served (or not the one named) has the site (404). */
  unknownSite: 'unknown-site',
  /** The site has no such address (404). */
  unknownAddress: 'unknown-address',
  /**
   * The override took effect but could not be written to the state file: it lasts until the
   * process exits, not across a restart (500).
   */
  notPersisted: 'not-persisted',
  /** A bug; logged with its stack (500). */
  internal: 'internal',
} as const;
export type AdminErrorCode = (typeof AdminErrorCode)[keyof typeof AdminErrorCode];

export const STATUS: Record<AdminErrorCode, number> = {
  unauthorized: 401,
  'unexpected-token': 401,
  'forbidden-host': 403,
  'forbidden-origin': 403,
  'json-required': 415,
  'bad-body': 400,
  'body-too-large': 413,
  'not-found': 404,
  'method-not-allowed': 405,
  'missing-param': 400,
  'bad-param': 400,
  'bad-name': 400,
  'bad-type': 400,
  'bad-client': 400,
  'unknown-zone': 404,
  'unknown-site': 404,
  'unknown-address': 404,
  'not-persisted': 500,
  internal: 500,
};

/** Thrown by a route; the server turns it into the JSON error with its status. */
export class AdminError extends Error {
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    /** More JSON-able detail (e.g. what an override did before the state file failed). */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AdminError';
  }

  get status(): number {
    return STATUS[this.code];
  }
}
