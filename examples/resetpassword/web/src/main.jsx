// The "forgot password" page of the demo. Sentry's browser SDK traces the
// page and adds sentry-trace and baggage to the request to the API; nothing
// here sets them by hand.
import * as Sentry from "@sentry/react";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";

// The page's settings come from the server that serves it (config.js):
// the DSN, the API's origin, the release and the environment.
const config = window.RESETPASSWORD_CONFIG;

Sentry.init({
  dsn: config.dsn,
  release: config.release,
  environment: config.environment,
  integrations: [Sentry.browserTracingIntegration()],
  tracesSampleRate: 1.0,
  // Send the API the trace headers; every other origin gets none.
  tracePropagationTargets: [config.apiOrigin],
  // Transactions, as self-hosted Sentry and the Go services expect, instead
  // of the span stream SDK 11 sends by default.
  traceLifecycle: "static",
});

function ResetPasswordForm() {
  const [email, setEmail] = useState("");
  const [status, setStatus] = useState({ state: "idle", message: "" });

  async function submit(event) {
    event.preventDefault();
    setStatus({ state: "sending", message: "Sending…" });
    // One user action, one transaction (of the page load's trace): the
    // fetch below is its child span, and the API's transaction continues
    // from that span.
    await Sentry.startSpan({ name: "reset-password submit", op: "ui.action.submit", forceTransaction: true }, async () => {
      try {
        const res = await fetch(`${config.apiOrigin}/users/reset-password`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email }),
        });
        const body = await res.json().catch(() => ({}));
        if (res.ok) {
          setStatus({ state: "done", message: body.status || "Check your inbox." });
        } else {
          setStatus({ state: "error", message: body.error || `The server answered ${res.status}.` });
        }
      } catch (err) {
        Sentry.captureException(err);
        setStatus({ state: "error", message: "The request could not be sent." });
      }
    });
    await Sentry.flush(5000);
    document.body.dataset.flushed = "true";
  }

  return (
    <main>
      <h1>Forgot your password?</h1>
      <p>Enter your email address and we will send you a link to reset it.</p>
      <form onSubmit={submit}>
        <label>
          Email address
          <input type="email" name="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <button type="submit" disabled={status.state === "sending"}>
          Send reset link
        </button>
      </form>
      <p id="status" data-state={status.state} role="status">
        {status.message}
      </p>
    </main>
  );
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <ResetPasswordForm />
  </StrictMode>,
);
