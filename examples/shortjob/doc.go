// Command shortjob is the README's quick start as a short-lived program: a
// job that runs once and exits. What it traced reaches Sentry because it
// shuts the TracerProvider down before it returns: the span processor holds
// the last transaction until then, and sentry.Flush alone does not send it.
package main
