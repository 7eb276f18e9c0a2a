'use strict'
// nginx as a reference peer: one process (`master_process off`), loopback
// only, config and files in a temp dir written by the bench.
const fs = require('node:fs')
const path = require('node:path')
const os = require('node:os')
const p = require('../servers/payloads')
const { writeNginxConf } = require('./nginx-conf')

// connections: how many client connections it must hold (idle-10k: 10,000).
// Twice that: nginx closes idle keep-alive connections to make room once
// fewer than 1/16 of its worker_connections are free (ngx_drain_connections).
function nginxSpec (nginxPath, port, filePath, connections = 0) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-bench-nginx-'))
  fs.writeFileSync(path.join(dir, 'buffer-64k.bin'), p.buffer64k)
  fs.writeFileSync(path.join(dir, 'vector.bin'), p.vectorConcat)
  const args = writeNginxConf({
    dir,
    writtenBy: 'vectored bench/lib/nginx.js',
    workerConnections: Math.max(4096, 2 * connections),
    http: `  keepalive_requests 10000000;
  keepalive_timeout 75s;
  sendfile on;
  tcp_nopush on;
  etag off;
  types { }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    location = ${p.routes.hello} {
      default_type "${p.types.json}";
      return 200 '${JSON.stringify(p.hello)}';
    }
    location = ${p.routes.buffer} { alias ${dir}/buffer-64k.bin; }
    location = ${p.routes.vector} { alias ${dir}/vector.bin; }
    location = ${p.routes.file} { alias ${filePath}; }
  }
`
  })
  return spec(nginxPath, dir, args)
}

// nginx in front of an app on a unix socket (the nginx-unix scenario):
// proxy_pass to unix:, HTTP/1.1 keep-alive upstream connections.
function nginxProxySpec (nginxPath, port, socketPath) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectored-bench-nginx-proxy-'))
  const args = writeNginxConf({
    dir,
    writtenBy: 'vectored bench/lib/nginx.js (nginx-unix scenario)',
    workerConnections: 4096,
    http: `  keepalive_requests 10000000;
  keepalive_timeout 75s;
  upstream app {
    server unix:${socketPath};
    keepalive 64;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
`
  })
  return spec(nginxPath, dir, args)
}

function spec (nginxPath, dir, args) {
  return { cmd: nginxPath, args, readyBy: 'connect', cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

module.exports = { nginxSpec, nginxProxySpec }
