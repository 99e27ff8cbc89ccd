// A webhook receiver for Veikart's end-to-end test. It stores every delivery as received (headers and raw body)
// and, when asked, verifies each one with the `standardwebhooks` package, the reference implementation of the
// Standard Webhooks convention. Loopback only; it stops on SIGTERM or when its parent's test ends.
//
//   node receiver.mjs PORT_FILE
//   POST /hook                 a delivery; answered 200, or as /control says
//   POST /control              {"fail": n, "status": 500}: answer the next n deliveries with that status
//   GET  /received?secret=S    every delivery so far, each verified with the subscription's secret S
import http from 'node:http';
import fs from 'node:fs';
import { Webhook } from 'standardwebhooks';

const portFile = process.argv[2];
const received = [];
let failNext = 0;
let failStatus = 500;

function verifyAll(secret) {
  const webhook = new Webhook(secret);
  return received.map((m) => {
    const out = { id: m.headers['webhook-id'] ?? null, answered: m.answered, at: m.at, verified: false };
    try {
      const event = webhook.verify(m.body, m.headers);
      out.verified = true;
      out.type = event.type;
      out.seq = event.data?.seq ?? null;
      out.item = event.data?.id ?? null;
    } catch (e) {
      out.error = e.message;
    }
    return out;
  });
}

// Answers with a Content-Length (no chunked encoding), so the simplest HTTP client reads it.
function reply(res, status, type, text) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/hook') {
      let answered = 200;
      if (failNext > 0) {
        failNext -= 1;
        answered = failStatus;
      }
      received.push({ headers: { ...req.headers }, body, answered, at: Date.now() });
      reply(res, answered, 'text/plain', answered < 300 ? 'ok' : 'not now');
    } else if (req.method === 'POST' && url.pathname === '/control') {
      const c = JSON.parse(body || '{}');
      failNext = c.fail ?? 0;
      failStatus = c.status ?? 500;
      reply(res, 204, 'text/plain', '');
    } else if (req.method === 'GET' && url.pathname === '/received') {
      try {
        const list = verifyAll(url.searchParams.get('secret') ?? '');
        reply(res, 200, 'application/json', JSON.stringify(list));
      } catch (e) {
        reply(res, 400, 'text/plain', String(e.message));
      }
    } else {
      reply(res, 404, 'text/plain', 'not found');
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// Never outlive the test that started it.
setTimeout(() => process.exit(3), 10 * 60 * 1000).unref();
