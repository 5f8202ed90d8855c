// A scriptable JS automerge-repo peer for Countertop's interop tests and sync benchmark.
//
//   node peer.mjs --listen 0 --storage DIR     websocket sync server on 127.0.0.1 (a relay)
//   node peer.mjs --connect ws://127.0.0.1:P   websocket client peer
//   node peer.mjs --offline                    no network until a "connect" command
//
// Prints one JSON line {"ready": true, "port": P, "peerId": ...} once up, then answers one
// JSON command per stdin line (optional "id", echoed) with one JSON line on stdout:
//   {"cmd": "create", "doc": {...}}                  -> {"url": ...}
//   {"cmd": "read", "url": U}                        -> {"doc": {...}}
//   {"cmd": "wait", "url": U, "key": K, "value": V}  -> {"doc": {...}} once doc[K] == V
//       ("path": [K1, K2, ...] instead of "key" waits on a nested value; "value" omitted:
//       waits until that value exists)
//   {"cmd": "set", "url": U, "path": [K1, ..., Kn], "value": V}  -> {} doc[K1]..[Kn] = V
//   {"cmd": "fill", "url": U, "n": N, "prefix": P}   -> {} after N separate changes
//   {"cmd": "connect", "url": U} / {"cmd": "disconnect"}  join / leave a server (client side)
//   {"cmd": "stats"}                                 -> {"bytesIn": .., "bytesOut": ..}
//   {"cmd": "quit"}
// Only loopback: the server binds 127.0.0.1 and the client dials what the test gives it.
import { Repo } from "@automerge/automerge-repo"
import {
  WebSocketClientAdapter,
  WebSocketServerAdapter,
} from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketServer } from "ws"
import readline from "node:readline"

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]])
    return pairs
  }, []),
)

const stats = { bytesIn: 0, bytesOut: 0 }
function countSocket(ws) {
  ws.on("message", (data) => { stats.bytesIn += data.length ?? data.byteLength })
  const send = ws.send.bind(ws)
  ws.send = (data, ...rest) => { stats.bytesOut += data.length ?? data.byteLength; return send(data, ...rest) }
}

const reply = (obj) => process.stdout.write(JSON.stringify(obj) + "\n")
const plain = (doc) => JSON.parse(JSON.stringify(doc ?? null))

let network
let port = null
if (args.listen !== undefined) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(args.listen) })
  await new Promise((resolve) => wss.on("listening", resolve))
  wss.on("connection", countSocket)
  port = wss.address().port
  network = [new WebSocketServerAdapter(wss)]
} else if (args.connect !== undefined) {
  network = [new WebSocketClientAdapter(args.connect)]
} else {
  network = []  // --offline: joins a network later with the "connect" command
}
const clientAdapters = args.connect !== undefined ? [network[0]] : []

const repo = new Repo({
  network,
  storage: args.storage ? new NodeFSStorageAdapter(args.storage) : undefined,
  peerId: args.peer ?? `js-${process.pid}`,
  sharePolicy: async () => true,
})

if (args.connect !== undefined) {
  // Count the client's socket bytes too, once the adapter has opened it.
  const adapter = network[0]
  const timer = setInterval(() => {
    if (adapter.socket) { countSocket(adapter.socket); clearInterval(timer) }
  }, 5)
  await repo.networkSubsystem.whenReady()
}

if (args.listen !== undefined) {
  // The server adapter only listens for sockets once the Repo has called its connect(),
  // which waits for storage; a client arriving earlier would be ignored. Wait for it.
  while (network[0].peerId === undefined) await new Promise((r) => setTimeout(r, 5))
}

reply({ ready: true, port, peerId: repo.peerId })

async function handle(cmd) {
  switch (cmd.cmd) {
    case "create": {
      const handle = repo.create(cmd.doc ?? {})
      await repo.flush()
      return { url: handle.url }
    }
    case "read": {
      const handle = await repo.find(cmd.url)
      return { doc: plain(handle.doc()) }
    }
    case "wait": {
      const handle = await repo.find(cmd.url)
      const path = cmd.path ?? [cmd.key]
      const at = () => path.reduce((o, k) => (o == null ? undefined : o[k]), plain(handle.doc()))
      const matches = () => ("value" in cmd ? JSON.stringify(at()) === JSON.stringify(cmd.value)
                                              : at() !== undefined)
      if (!matches()) {
        await new Promise((resolve) => {
          const check = () => { if (matches()) { handle.off("change", check); resolve() } }
          handle.on("change", check)
        })
      }
      return { doc: plain(handle.doc()) }
    }
    case "set": {
      const handle = await repo.find(cmd.url)
      handle.change((d) => {
        let o = d
        for (const k of cmd.path.slice(0, -1)) o = o[k]
        o[cmd.path[cmd.path.length - 1]] = cmd.value
      })
      await repo.flush()
      return {}
    }
    case "fill": {
      const handle = await repo.find(cmd.url)
      for (let i = 0; i < cmd.n; i++) {
        handle.change((d) => { d[`${cmd.prefix}${i}`] = i })
      }
      return {}
    }
    case "connect": {
      const adapter = new WebSocketClientAdapter(cmd.url)
      clientAdapters.push(adapter)
      repo.networkSubsystem.addNetworkAdapter(adapter)
      await adapter.whenReady()
      return {}
    }
    case "disconnect": {
      for (const adapter of clientAdapters.splice(0)) repo.networkSubsystem.removeNetworkAdapter(adapter)
      return {}
    }
    case "stats":
      return { ...stats }
    case "quit":
      try { await repo.shutdown() } catch { /* a handle still loading: exit anyway */ }
      process.exit(0)
    default:
      throw new Error(`unknown command ${cmd.cmd}`)
  }
}

const lines = readline.createInterface({ input: process.stdin })
for await (const line of lines) {
  if (!line.trim()) continue
  // Commands run concurrently (a "wait" must not block a "create"); replies carry the id.
  let cmd
  try { cmd = JSON.parse(line) } catch (err) { reply({ ok: false, error: String(err) }); continue }
  handle(cmd).then(
    (result) => reply({ id: cmd.id, ok: true, ...result }),
    (err) => reply({ id: cmd.id, ok: false, error: String(err?.stack ?? err) }),
  )
}
try { await repo.shutdown() } catch { /* as above */ }
process.exit(0)
