// A Node service on Sentry's own SDK (@sentry/node 11), the peer of
// otelsentry's interop checks. It answers GET / by calling NEXT (if set)
// with fetch, which the SDK instruments, and GET /flush by flushing the SDK.
//
//   DSN=... PORT=0 NEXT=http://... LIFECYCLE=static|stream node server.cjs
//
// It prints "listening on PORT" once ready.
const Sentry = require("@sentry/node");

Sentry.init({
  dsn: process.env.DSN,
  release: "node@1.0.0",
  environment: "interop",
  tracesSampleRate: 1.0,
  traceLifecycle: process.env.LIFECYCLE || "stream",
});

const http = require("node:http");

const server = http.createServer(async (req, res) => {
  if (req.url === "/flush") {
    await Sentry.flush(5000);
    res.end("flushed");
    return;
  }
  let status = 200;
  if (process.env.NEXT) {
    try {
      const r = await fetch(process.env.NEXT);
      await r.text();
    } catch (err) {
      status = 502;
    }
  }
  res.writeHead(status);
  res.end("ok");
});

server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`listening on ${server.address().port}`);
});
process.on("SIGTERM", async () => {
  await Sentry.flush(5000);
  process.exit(0);
});
