package otelhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelsentry/otelsentry"
	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// TestRouteNames sends /orders/0 through each way instrumentation reveals
// a route, and checks that the transaction is named after the route, not
// the path: one transaction name per route, not per id.
func TestRouteNames(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler func(tp trace.TracerProvider) http.Handler
		want    string
	}{
		{name: "otelhttp with ServeMux patterns", want: "GET /orders/{id}", handler: func(tp trace.TracerProvider) http.Handler {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {})
			return otelhttp.NewHandler(mux, "server", otelhttp.WithTracerProvider(tp))
		}},
		{name: "otelgin", want: "GET /orders/:id", handler: func(tp trace.TracerProvider) http.Handler {
			gin.SetMode(gin.TestMode)
			r := gin.New()
			r.Use(otelgin.Middleware("server", otelgin.WithTracerProvider(tp)))
			r.GET("/orders/:id", func(c *gin.Context) {})
			return r
		}},
		{name: "a span renamed by hand", want: "GET /orders/{order}", handler: func(tp trace.TracerProvider) http.Handler {
			return otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				trace.SpanFromContext(r.Context()).SetName("GET /orders/{order}")
			}), "server", otelhttp.WithTracerProvider(tp))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sink, err := fakesentry.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			c, err := sentry.NewClient(sentry.ClientOptions{Dsn: sink.DSN(), EnableTracing: true, TracesSampleRate: 1})
			if err != nil {
				t.Fatal(err)
			}
			hub := sentry.NewHub(c, sentry.NewScope())
			proc := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))), sdktrace.WithSpanProcessor(proc))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			srv := httptest.NewServer(tt.handler(tp))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/orders/0")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := proc.ForceFlush(ctx); err != nil {
				t.Fatal(err)
			}
			txs, err := sink.WaitTransactions(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if txs[0].Name != tt.want || txs[0].TransactionInfo.Source != "route" {
				t.Errorf("transaction %q (source %s), want %q (route)", txs[0].Name, txs[0].TransactionInfo.Source, tt.want)
			}
		})
	}
}
