// Command resetpassword runs the password-reset system of the examples and
// shows the trace it makes as a waterfall:
//
//   - web: a React "forgot password" page on Sentry's browser SDK
//     (./web, bundled with esbuild);
//   - api: gin with otelgin and otelsentry, which publishes a task to
//     RabbitMQ (./api);
//   - mailer: which consumes the task in a queue.process transaction
//     (./mailer);
//
// each its own process with its own Sentry client, and a loopback Sentry
// that receives what all three send. Debian's chromium, driven by
// playwright-core, loads the page and submits the form. Then the demo stops
// the services, prints the trace as a waterfall in the terminal, writes it
// as a self-contained HTML page (its file named at the end) and checks it.
//
// With SENTRY_DSN set (the Go services) and SENTRY_DSN_WEB (the page), every
// envelope the loopback Sentry receives is also sent on to that Sentry,
// sentry.io or self-hosted, so the trace shows there too.
//
// Run it with ./scripts/demo.sh from the repository, which starts a broker
// and installs the page's packages first. -keep keeps everything running,
// so that a person can open the page and click.
package main
