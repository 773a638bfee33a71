package testbroker

import (
	"os"
	"testing"
)

// EnvURL is the environment variable that holds the broker's AMQP URL.
const EnvURL = "OTELSENTRY_AMQP_URL"

// URL returns the broker's AMQP URL, or skips the test (fails it on CI) when
// EnvURL is unset.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	const hint = EnvURL + " is not set: start a broker with scripts/rabbitmq.sh start and export its URL"
	if os.Getenv("CI") == "true" {
		t.Fatal(hint)
	}
	t.Skip(hint)
	return ""
}
