// Drives the server with graphql-ws (the graphql-transport-ws reference client) and raw
// frames; prints one JSON object: case name -> what happened. Usage: node cases.mjs URL TOKEN
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';

const [url, token] = process.argv.slice(2);
const GUARD = 8000; // a hang guard, not a timing assertion
const results = {};

class Authorized extends WebSocket {
  constructor(address, protocols) {
    super(address, protocols, { headers: { authorization: `Bearer ${token}` } });
  }
}

function client(options = {}) {
  const closed = [];
  const c = createClient({
    url, webSocketImpl: Authorized, retryAttempts: 0, lazy: true,
    connectionParams: { Authorization: `Bearer ${token}` },
    on: { closed: (e) => closed.push({ code: e.code, reason: e.reason }) }, ...options,
  });
  return { c, closed };
}

// Subscribe; resolves with {next: [...], error?, complete?} once it ends or after `take` results.
function run(c, payload, take = Infinity) {
  return new Promise((resolve) => {
    const out = { next: [] };
    let dispose;
    const timer = setTimeout(() => { out.timeout = true; dispose?.(); resolve(out); }, GUARD);
    dispose = c.subscribe(payload, {
      next: (v) => {
        out.next.push(v);
        if (out.next.length >= take) { clearTimeout(timer); resolve(out); setTimeout(() => dispose(), 0); }
      },
      error: (e) => {
        clearTimeout(timer);
        out.error = Array.isArray(e) ? e : { code: e?.code, reason: e?.reason, message: String(e?.message ?? e) };
        resolve(out);
      },
      complete: () => { clearTimeout(timer); out.complete = true; resolve(out); },
    });
  });
}

// Raw frames: connection_init, then `frames`; collects every message until close or `until` matches.
function raw(frames, until = () => false, init = { type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }) {
  return new Promise((resolve) => {
    const ws = new Authorized(url, 'graphql-transport-ws');
    const out = { messages: [] };
    const timer = setTimeout(() => { out.timeout = true; ws.terminate(); resolve(out); }, GUARD);
    ws.on('open', () => ws.send(JSON.stringify(init)));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      out.messages.push(m);
      if (m.type === 'connection_ack') frames.forEach((f) => ws.send(f));
      if (until(m, out)) { clearTimeout(timer); ws.close(1000); }
    });
    ws.on('close', (code, reason) => { clearTimeout(timer); out.close = { code, reason: String(reason) }; resolve(out); });
  });
}

const EVENTS = 'subscription { events { position type } }';
const ME = '{ me { name } }';

{ // 1. a syntax error in a subscribe: an error message
  const { c, closed } = client();
  results.syntaxError = { ...(await run(c, { query: 'subscription { events { position ' })), closed };
  await c.dispose();
}
{ // 2. an unknown operationName: an error for that operation, the other subscription goes on
  const { c, closed } = client();
  const live = run(c, { query: EVENTS }, 1);
  const unknown = await run(c, { query: 'query A { me { name } }', operationName: 'Nope' });
  const after = await run(c, { query: ME });
  results.unknownOperationName = { unknown, after, closed: [...closed] };
  results.liveAfterUnknown = { closedSoFar: [...closed] };
  c.dispose();
  await Promise.race([live, new Promise((r) => setTimeout(r, 10))]);
}
{ // 3. connection_init with payload: null (the token in the handshake header); the reference
  // client leaves a null payload out, which the protocol allows as well: both are sent raw.
  const subscribe = [JSON.stringify({ id: 'me', type: 'subscribe', payload: { query: ME } })];
  const done = (m) => m.id === 'me' && m.type !== 'next';
  results.nullInitPayload = await raw(subscribe, done, { type: 'connection_init', payload: null });
  results.noInitPayload = await raw(subscribe, done, { type: 'connection_init' });
}
for (const [name, frame] of [['array', '[1]'], ['string', '"x"'], ['number', '1'], ['null', 'null']]) {
  results[`notAnObject_${name}`] = await raw([frame]); // 4. JSON that is not an object: 4400 and a reason
}
{ // 5. a non-string query, non-object variables: an error for the id; the socket goes on
  const frames = [
    { id: 'q', type: 'subscribe', payload: { query: 5 } },
    { id: 'v', type: 'subscribe', payload: { query: ME, variables: [1] } },
    { id: 's', type: 'subscribe', payload: { query: ME, variables: 'x' } },
    { id: 'ok', type: 'subscribe', payload: { query: ME } },
  ].map((f) => JSON.stringify(f));
  results.badPayloadFields = await raw(frames, (m) => m.id === 'ok' && m.type !== 'next');
}
for (const [name, id] of [['numeric', 1], ['empty', '']]) { // 6. numeric or empty ids
  results[`id_${name}`] = await raw([JSON.stringify({ id, type: 'subscribe', payload: { query: ME } })]);
}
{ // 7. extensions.position of subscription results: the event's position
  const { c } = client();
  results.positions = await run(c, { query: 'subscription { events(after: 0) { position type } }' }, 3);
  await c.dispose();
}
process.stdout.write(JSON.stringify(results));
process.exit(0);
