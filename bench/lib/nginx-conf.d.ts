export interface NginxConf {
  /** Where nginx.conf, the error log, the pid file and the temp files go. */
  dir: string
  /** Named in the config's first line, `# written by …`. */
  writtenBy: string
  workerConnections: number
  /** The rest of the http block (directives, upstreams, servers), indented by two spaces. */
  http: string
}

/** Writes `dir`/nginx.conf and returns the arguments to start nginx with it. */
export function writeNginxConf(conf: NginxConf): string[]
