/**
 * Sessions across the cluster, with the same paths and bodies as one process's sessions API
 * (docs/sessions.md), so a lobby page works against a gateway as it does against one process:
 *
 *   GET  /api/sessions            every live process's sessions, asked in parallel
 *                                 -> { sessions: [summary + process], unreachable: [{ process, reason }] }
 *   POST /api/sessions            created on the least-loaded process -> 201 summary + { process, url, ticket }
 *   GET  /api/sessions/:id        asked of the process that runs it
 *   POST /api/sessions/:id/join   { password? } checked by the process that runs it -> summary + { process, url, ticket }
 *
 * Creating and joining pass the player's bearer token on to the process (it checks the password
 * and records the creator there, as it does without a gateway). A process that does not answer in
 * time is left out of the listing and named in `unreachable`; a create it did not answer goes to
 * the next process.
 */
import { ErrorCode, parseSessionSummary, type SessionSummary } from '@tickwire/protocol';
import type { Identity, ProcessRecord, Route } from '@tickwire/server';
import { codeParam, direct, jsonBody, moving, noProcess, type GatewayContext } from './context.js';
import { callProcess, failure, isRecord, relayError } from './process-calls.js';

/** How many processes a create is tried on before the gateway gives up. */
const CREATE_TRIES = 2;

/** A process's sessions, each parsed field by field; undefined when the answer is not a listing. */
function listing(body: unknown): SessionSummary[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.sessions)) return undefined;
  return body.sessions.flatMap((s) => {
    const summary = parseSessionSummary(s);
    return summary ? [summary] : [];
  });
}

export interface ClusterSessions {
  sessions: (SessionSummary & { process: string })[];
  unreachable: { process: string; reason: string }[];
}

/** Every live process's open sessions, asked in parallel; those that do not answer are named. */
export async function clusterSessions(ctx: GatewayContext, processes: readonly ProcessRecord[]): Promise<ClusterSessions> {
  const out: ClusterSessions = { sessions: [], unreachable: [] };
  const answers = await Promise.all(processes.map((p) => callProcess(ctx.calls, p.httpUrl, 'GET', '/api/sessions')));
  answers.forEach((answer, i) => {
    const process = processes[i]!.id;
    const sessions = answer.reached && answer.status === 200 ? listing(answer.body) : undefined;
    if (sessions) for (const s of sessions) out.sessions.push({ ...s, process });
    else out.unreachable.push({ process, reason: answer.reached ? `answered ${answer.status}` : answer.reason });
  });
  return out;
}

/** A summary from a process plus where to connect: what create and join answer. */
async function withDirection(ctx: GatewayContext, identity: Identity, process: ProcessRecord, status: number, body: unknown): Promise<Response> {
  const summary = parseSessionSummary(body);
  if (!summary) return failure(502, ErrorCode.INTERNAL, `process '${process.id}' did not answer with a session`);
  const direction = await direct(ctx, identity, process, summary.id, '');
  return new Response(JSON.stringify({ ...summary, process: process.id, url: direction.url, ticket: direction.ticket }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** Headers that carry the player's token on to the process. */
function bearer(request: Request): Record<string, string> {
  const auth = request.headers.get('authorization');
  return auth === null ? {} : { authorization: auth };
}

export function sessionRoutes(ctx: GatewayContext, processes: () => Promise<ProcessRecord[]>): Route[] {
  const create = async (request: Request): Promise<Response> => {
    const identity = await ctx.authenticateRequest(request);
    const body = await jsonBody(request);
    if (body instanceof Response) return body;
    const tried = new Set<string>();
    const reasons: string[] = [];
    while (tried.size < CREATE_TRIES) {
      const target = await ctx.placement.choose(tried);
      if (!target) break;
      tried.add(target.id);
      const answer = await callProcess(ctx.calls, target.httpUrl, 'POST', '/api/sessions', { headers: bearer(request), body: body.text });
      if (!answer.reached) {
        ctx.logger.warn({ process: target.id, reason: answer.reason }, 'a process did not answer a session create');
        reasons.push(`${target.id}: ${answer.reason}`);
        continue;
      }
      if (answer.status !== 201) return relayError(answer.status, answer.body);
      ctx.placement.placedRoom(target);
      return withDirection(ctx, identity, target, 201, answer.body);
    }
    if (reasons.length === 0) return noProcess();
    return failure(503, ErrorCode.INTERNAL, `no game process answered the create (${reasons.join('; ').slice(0, 400)}): try again shortly`, { 'retry-after': '2' });
  };

  /** The process running session `id`, or the response saying why there is none. */
  const owner = async (params: Record<string, string>): Promise<{ id: string; process: ProcessRecord } | Response> => {
    const id = codeParam(params, 'id', 'session id');
    if (id instanceof Response) return id;
    const at = await ctx.placement.locate(id);
    if (at.kind === 'moving' || at.kind === 'orphan') return moving(id, at.claim.owner);
    if (at.kind === 'free') return failure(404, ErrorCode.ROOM_NOT_FOUND, `no session '${id}' is open: list them with GET /api/sessions`);
    return { id, process: at.process };
  };

  const unreachable = (process: ProcessRecord, reason: string): Response =>
    failure(503, ErrorCode.INTERNAL, `process '${process.id}' did not answer (${reason.slice(0, 200)}): try again shortly`, { 'retry-after': '1' });

  return [
    {
      method: 'GET',
      path: '/api/sessions',
      handler: async () => clusterSessions(ctx, await processes()),
    },
    { method: 'POST', path: '/api/sessions', handler: ({ request }) => create(request) },
    {
      method: 'GET',
      path: /^\/api\/sessions\/(?<id>[^/]+)$/,
      handler: async ({ params }) => {
        const found = await owner(params);
        if (found instanceof Response) return found;
        const answer = await callProcess(ctx.calls, found.process.httpUrl, 'GET', `/api/sessions/${encodeURIComponent(found.id)}`);
        if (!answer.reached) return unreachable(found.process, answer.reason);
        if (answer.status !== 200) return relayError(answer.status, answer.body);
        const summary = parseSessionSummary(answer.body);
        return summary ? { ...summary, process: found.process.id } : failure(502, ErrorCode.INTERNAL, `process '${found.process.id}' did not answer with a session`);
      },
    },
    {
      method: 'POST',
      path: /^\/api\/sessions\/(?<id>[^/]+)\/join$/,
      handler: async ({ request, params }) => {
        const identity = await ctx.authenticateRequest(request);
        const body = await jsonBody(request);
        if (body instanceof Response) return body;
        const found = await owner(params);
        if (found instanceof Response) return found;
        const path = `/api/sessions/${encodeURIComponent(found.id)}/join`;
        const answer = await callProcess(ctx.calls, found.process.httpUrl, 'POST', path, { headers: bearer(request), body: body.text });
        if (!answer.reached) return unreachable(found.process, answer.reason);
        if (answer.status !== 200) return relayError(answer.status, answer.body);
        ctx.placement.placedClient(found.process);
        return withDirection(ctx, identity, found.process, 200, answer.body);
      },
    },
  ];
}
