package main

import (
	"context"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelsentry/otelsentry/examples/internal/testbroker"
)

// needsBrowser skips the test when chromium, node or the built page are
// missing, and fails it in CI, where scripts/test.sh installs them.
func needsBrowser(t *testing.T) {
	t.Helper()
	var missing []string
	for _, bin := range []string{"node", "chromium"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if _, err := os.Stat(filepath.Join("web", "dist", "app.js")); err != nil {
		missing = append(missing, "the page's bundle (scripts/web.sh)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "missing " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestBrowserFlow runs the whole system: chromium submits the page's form,
// and the trace must go from the browser's transaction through the API's
// http.server transaction to the mailer's queue.process transaction, with
// the browser's DSC on every envelope of the services.
func TestBrowserFlow(t *testing.T) {
	url := testbroker.URL(t)
	needsBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := config{htmlPath: filepath.Join(t.TempDir(), "trace.html"), email: "ada@example.com"}
	cfg.fromEnv()
	cfg.amqpURL, cfg.examplesDir = url, ".."
	out, err := run(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.status, "reset link is on its way") {
		// The API answered, so the CORS preflight for sentry-trace, baggage
		// and content-type passed.
		t.Errorf("the page says %q", out.status)
	}
	browser, api, mailer := parts(out.envelopes)
	if browser == nil || api == nil || mailer == nil {
		t.Fatalf("transactions of the trace: browser %v, api %v, mailer %v", browser != nil, api != nil, mailer != nil)
	}
	for _, tx := range [...]string{api.Contexts.Trace.TraceID, mailer.Contexts.Trace.TraceID} {
		if tx != browser.Contexts.Trace.TraceID {
			t.Errorf("trace %s, not the browser's %s", tx, browser.Contexts.Trace.TraceID)
		}
	}
	for _, p := range out.verify() {
		t.Error(p)
	}
	if len(browser.DSC) == 0 || !maps.Equal(api.DSC, browser.DSC) || !maps.Equal(mailer.DSC, browser.DSC) {
		t.Errorf("DSC: browser %v, api %v, mailer %v", browser.DSC, api.DSC, mailer.DSC)
	}
	page, err := os.ReadFile(cfg.htmlPath)
	if err != nil || !strings.Contains(string(page), browser.Contexts.Trace.TraceID) || strings.Contains(string(page), "http://") && strings.Contains(string(page), "<script src=") {
		t.Errorf("the HTML waterfall is missing or not self-contained (%v)", err)
	}
}

// TestVerifyCatchesABrokenTrace checks that the demo's verdict fails when
// the API's transaction does not continue from the browser's fetch span.
func TestVerifyCatchesABrokenTrace(t *testing.T) {
	o := &outcome{}
	if len(o.verify()) == 0 {
		t.Error("an empty outcome passed")
	}
}
