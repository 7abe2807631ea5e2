// benches/peers/node_server.js: the handlers-mode peer on Node.js's http module, with the
// endpoints of hybrid's example service, for `benches/compare --handlers`.
//
//   GET  /plaintext          200 text/plain "Hello, World!"
//   GET  /api/sleep?ms=N     200 "slept" after N ms (setTimeout: Node has one thread, and a
//                            blocking sleep would stop the whole server)
//   GET  /api/deferred?ms=N  200 "deferred" after N ms (setTimeout)
//   POST /api/echo           200 with the request body and its Content-Type
//
// Usage: node node_server.js --port P (or PORT=P; 0 picks one). Binds 127.0.0.1 with a listen
// backlog of 4096 and prints "node http listening on http://127.0.0.1:PORT".
'use strict';
const http = require('http');

let port = process.env.PORT || '8080';
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--port' && i + 1 < process.argv.length) port = process.argv[++i];
}

const hello = Buffer.from('Hello, World!');

function reply(res, status, contentType, body) {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length });
  res.end(body);
}

function delay(query) {
  const ms = Number(new URLSearchParams(query).get('ms'));
  return Number.isInteger(ms) && ms >= 0 && ms <= 60000 ? ms : -1;
}

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  if (path === '/plaintext') {
    reply(res, 200, 'text/plain', hello);
  } else if (path === '/api/sleep' || path === '/api/deferred') {
    const ms = delay(query);
    if (ms < 0) return reply(res, 400, 'text/plain', Buffer.from('ms must be 0..60000\n'));
    const body = Buffer.from(path === '/api/sleep' ? 'slept' : 'deferred');
    setTimeout(() => reply(res, 200, 'text/plain', body), ms);
  } else if (path === '/api/echo') {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return reply(res, 405, 'text/plain', Buffer.from('POST only\n'));
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () =>
      reply(res, 200, req.headers['content-type'] || 'application/octet-stream',
            Buffer.concat(chunks)));
  } else {
    reply(res, 404, 'text/plain', Buffer.from('not found\n'));
  }
});

server.listen(Number(port), '127.0.0.1', 4096, () => {
  console.log(`node http listening on http://127.0.0.1:${server.address().port}`);
});
