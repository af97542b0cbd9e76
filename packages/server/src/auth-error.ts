/**
 * Why a token was refused, as a short stable reason and a message that says what to do. The
 * WebSocket path sends it as ERROR AUTH_FAILED (close 4004); the HTTP path answers 401 with
 * `{ error, reason, message }`. Neither ever contains the token or the server's keys: the reason
 * is chosen from this closed list, not copied from the verifier's own error text.
 */
import { ErrorCode, TickwireError } from '@tickwire/protocol';

const FAILURES = {
  'missing token': 'no token was sent: sign in and send the token (HELLO token, or the Authorization: Bearer header)',
  'too long': 'the token is longer than this server accepts: send the token the sign-in issued, unchanged',
  malformed: 'the token is not a well-formed JWT (three base64url parts): send the token the sign-in issued, unchanged',
  'bad signature': 'the signature does not verify: the token was not issued by the identity provider this server trusts',
  'algorithm not allowed': 'the token is signed with an algorithm this server does not accept',
  'unknown key': 'the token names a signing key its issuer does not publish (rotated away?): sign in again',
  expired: 'the token has expired: get a new one from the sign-in and try again',
  'not yet valid': 'the token is not valid yet (nbf): check the clocks of the issuer and of this server',
  'wrong issuer': 'the token comes from another issuer (iss) than the one this server trusts',
  'wrong audience': 'the token was issued for another audience (aud) than this server',
  'missing subject': 'the token has no subject (sub), which is the user id here',
  'invalid subject': 'the subject (sub) must be a string of 1-256 characters',
  'missing expiry': 'the token has no expiry (exp): this server accepts only tokens that expire',
  'invalid claims': 'a claim of the token has the wrong type (exp, nbf, iat must be numbers)',
  'not issued here': 'this token was not issued by this server (or its secret changed): get a new one from POST /api/anonymous',
  'keys unavailable': "the server could not fetch its identity provider's keys: try again shortly",
} as const;

/** The reasons a token is refused. */
export type AuthFailure = keyof typeof FAILURES;

/**
 * A refused token. Its code is AUTH_FAILED, except 'keys unavailable' (the server could not
 * check the token at all): INTERNAL, which clients retry, and 503 over HTTP.
 *
 * @example
 * try { await runtime.authenticateRequest(request) } catch (e) { if (e instanceof IdentityError) console.log(e.reason) }
 */
export class IdentityError extends TickwireError {
  readonly reason: AuthFailure;

  constructor(reason: AuthFailure) {
    super(reason === 'keys unavailable' ? ErrorCode.INTERNAL : ErrorCode.AUTH_FAILED, `${reason}: ${FAILURES[reason]}`);
    this.name = 'IdentityError';
    this.reason = reason;
  }

  /** The HTTP status for this refusal: 401, or 503 when the keys could not be fetched. */
  get status(): 401 | 503 {
    return this.code === ErrorCode.AUTH_FAILED ? 401 : 503;
  }
}
