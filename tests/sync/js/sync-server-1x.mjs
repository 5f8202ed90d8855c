// The published @automerge/automerge-repo-sync-server (0.2.8, bundling automerge-repo
// 1.2.1), run as it ships, on 127.0.0.1 only.
//
//   DATA_DIR=DIR node sync-server-1x.mjs
//
// Its server listens on all interfaces on $PORT; tests talk only to loopback, so this
// launcher pins every listen() to 127.0.0.1 and port 0, then prints one JSON line
// {"ready": true, "port": P} (the server's own log goes to stderr).
import http from "node:http"

const listen = http.Server.prototype.listen
http.Server.prototype.listen = function (_port, ...rest) {
  const done = typeof rest[rest.length - 1] === "function" ? rest.pop() : undefined
  this.once("listening", () => {
    process.stdout.write(JSON.stringify({ ready: true, port: this.address().port }) + "\n")
  })
  return listen.call(this, 0, "127.0.0.1", done)
}
console.log = (...args) => console.error(...args)
await import("@automerge/automerge-repo-sync-server/src/server.js").then(
  ({ Server }) => new Server(),
)
process.stdin.on("data", (d) => { if (String(d).includes("quit")) process.exit(0) })
process.stdin.on("end", () => process.exit(0))
