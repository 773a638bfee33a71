package interop

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needsNode skips the test when node or the peer's packages are missing,
// and fails it in CI, where scripts/test.sh installs them.
func needsNode(t *testing.T) {
	t.Helper()
	_, errNode := exec.LookPath("node")
	_, errPkg := os.Stat(filepath.Join("node", "node_modules", "@sentry", "node"))
	if errNode == nil && errPkg == nil {
		return
	}
	msg := "node or @sentry/node is missing (cd examples/interop/node && npm ci)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// startNode starts the @sentry/node peer with the trace lifecycle given.
func startNode(t *testing.T, lifecycle, next string) *service {
	t.Helper()
	needsNode(t)
	s := &service{name: "node-" + lifecycle, sink: newSink(t), next: next}
	cmd := exec.Command("node", "server.cjs")
	cmd.Dir = "node"
	cmd.Env = append(os.Environ(), "DSN="+s.sink.DSN(), "PORT=0", "NEXT="+next, "LIFECYCLE="+lifecycle)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				port <- p
			}
		}
	}()
	select {
	case p := <-port:
		s.url = "http://127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatal("the node peer did not start")
	}
	s.flush = func() {
		resp, err := http.Get(s.url + "/flush")
		if err == nil {
			resp.Body.Close()
		}
	}
	return s
}

// nodeView is what the node peer sent of its request, whatever its trace
// lifecycle: its server span, and the client span of its fetch.
type nodeView struct {
	traceID, serverSpan, serverParent, clientSpan string
	dsc                                           map[string]string
}

func viewNode(t *testing.T, s *service) nodeView {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var v nodeView
		for _, e := range s.sink.Envelopes() {
			txs, _ := e.Transactions()
			for _, tx := range txs {
				if tx.Contexts.Trace.Op == "http.server" {
					v.traceID, v.serverSpan, v.serverParent, v.dsc = tx.Contexts.Trace.TraceID, tx.Contexts.Trace.SpanID, tx.Contexts.Trace.ParentSpanID, tx.DSC
					for _, sp := range tx.Spans {
						if sp.Op == "http.client" {
							v.clientSpan = sp.SpanID
						}
					}
				}
			}
			spans, _ := e.StreamedSpans()
			for _, sp := range spans {
				switch {
				case sp.IsSegment && sp.Op() == "http.server":
					v.traceID, v.serverSpan, v.serverParent, v.dsc = sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.DSC
				case sp.Op() == "http.client":
					v.clientSpan = sp.SpanID
				}
			}
		}
		if v.serverSpan != "" && (s.next == "" || v.clientSpan != "") {
			return v
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s sent no server span (with its fetch)", s.name)
	return nodeView{}
}

// TestNodeBeforeOtelsentry: a @sentry/node 11 service calls an otelsentry
// service, with either trace lifecycle.
func TestNodeBeforeOtelsentry(t *testing.T) {
	for _, lifecycle := range []string{"static", "stream"} {
		t.Run(lifecycle, func(t *testing.T) {
			back := startOtelsentry(t, "orders", "")
			front := startNode(t, lifecycle, back.srv.URL+"/")
			sendTo(t, front.url+"/", front, back)
			nv, btx := viewNode(t, front), txOf(t, back)
			if btx.Contexts.Trace.TraceID != nv.traceID || btx.Contexts.Trace.ParentSpanID != nv.clientSpan {
				t.Errorf("otelsentry's trace %s parent %s; node's trace %s fetch span %s",
					btx.Contexts.Trace.TraceID, btx.Contexts.Trace.ParentSpanID, nv.traceID, nv.clientSpan)
			}
			if sent := dscOf(back.headers()); !sameDSC(btx.DSC, sent) || !sameDSC(nv.dsc, sent) {
				t.Errorf("DSC sent %v; on otelsentry's envelope %v; on node's %v", sent, btx.DSC, nv.dsc)
			}
		})
	}
}

// TestOtelsentryBeforeNode: an otelsentry service calls a @sentry/node 11
// service, with either trace lifecycle.
func TestOtelsentryBeforeNode(t *testing.T) {
	for _, lifecycle := range []string{"static", "stream"} {
		t.Run(lifecycle, func(t *testing.T) {
			back := startNode(t, lifecycle, "")
			front := startOtelsentry(t, "orders", back.url+"/")
			send(t, front, back)
			ftx, nv := txOf(t, front), viewNode(t, back)
			if nv.traceID != ftx.Contexts.Trace.TraceID || nv.serverParent != clientSpan(t, ftx).SpanID {
				t.Errorf("node's trace %s parent %s; otelsentry's trace %s", nv.traceID, nv.serverParent, ftx.Contexts.Trace.TraceID)
			}
			if !sameDSC(nv.dsc, ftx.DSC) {
				t.Errorf("node's envelope carries %v, otelsentry's head DSC is %v", nv.dsc, ftx.DSC)
			}
		})
	}
}
