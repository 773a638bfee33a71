package wire

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// floorProcessor is the protocol's floor: Sentry takes one transaction per
// envelope and one envelope per HTTP request, so a processor pays at least the
// SDK's snapshots plus one POST per transaction. This one encodes nothing: for
// each ended root it posts a ready-made envelope of the size otelsentry sends
// (a transaction with 8 spans), with 8 senders over kept-alive connections.
type floorProcessor struct {
	url  string
	body []byte
	q    chan struct{}
	wg   sync.WaitGroup
	hc   *http.Client
	busy sync.WaitGroup // envelopes queued or in flight
}

func newFloorProcessor(dsnURL, project string, size int) *floorProcessor {
	spans := strings.Repeat(`{"span_id":"b5f3a8f6c54a4f8e","op":"db"},`, 8)
	tx := `{"type":"transaction","spans":[` + spans[:len(spans)-1] + `],"pad":"`
	pad := max(size-len(tx)-2, 0)
	payload := tx + strings.Repeat("x", pad) + `"}`
	env := fmt.Sprintf("{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n{\"type\":\"transaction\",\"length\":%d}\n%s\n", len(payload), payload)
	p := &floorProcessor{
		url:  dsnURL + "/api/" + project + "/envelope/",
		body: []byte(env),
		q:    make(chan struct{}, 2048),
		hc:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}},
	}
	for i := 0; i < 8; i++ {
		p.wg.Add(1)
		go p.send()
	}
	return p
}

func (p *floorProcessor) send() {
	defer p.wg.Done()
	for range p.q {
		req, _ := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(p.body))
		req.Header.Set("Content-Type", "application/x-sentry-envelope")
		req.Header.Set("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=floor/1, sentry_key=public")
		if resp, err := p.hc.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		p.busy.Done()
	}
}

func (p *floorProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (p *floorProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if ps := s.Parent(); ps.IsValid() && !ps.IsRemote() {
		return
	}
	p.busy.Add(1)
	select {
	case p.q <- struct{}{}:
	default:
		p.busy.Done()
	}
}
func (p *floorProcessor) ForceFlush(context.Context) error { p.busy.Wait(); return nil }
func (p *floorProcessor) Shutdown(context.Context) error {
	p.busy.Wait()
	close(p.q)
	p.wg.Wait()
	return nil
}

// The protocol's floor, to measure the library's own cost against.
func BenchmarkRequest_Floor(b *testing.B) {
	d := newDest(b)
	base := "http://" + strings.SplitN(strings.TrimPrefix(d.dsn, "http://public@"), "/", 2)[0]
	p := newFloorProcessor(base, d.project, 5532)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(p))
	runRequests(b, context.Background(), tp, d)
}
