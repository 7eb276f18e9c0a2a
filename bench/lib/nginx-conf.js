'use strict'
// The nginx config the bench's nginx peers and test/unix run with: one
// process in the foreground (`daemon off`, `master_process off`, one worker)
// whose error log, pid and temp files are all in `dir`. No dependencies, so
// the tests can load it (types in nginx-conf.d.ts).
const fs = require('node:fs')
const path = require('node:path')

// Writes `dir`/nginx.conf and returns the arguments to start nginx with it.
// `http` is the rest of the http block (directives, upstreams, servers),
// indented by two spaces; `writtenBy` goes in the first line's comment.
function writeNginxConf ({ dir, writtenBy, workerConnections, http }) {
  const conf = `# written by ${writtenBy}
daemon off;
master_process off;
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http.replace(/\n*$/, '\n')}}
`
  const file = path.join(dir, 'nginx.conf')
  fs.writeFileSync(file, conf)
  return ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', file]
}

module.exports = { writeNginxConf }
