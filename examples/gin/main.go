package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/gin-gonic/gin"
	"github.com/otelsentry/otelsentry"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// serviceName names the service in its spans and its OTel resource.
const serviceName = "users"

func main() {
	// An empty SENTRY_DSN disables sending, so the service also runs
	// without Sentry.
	err := sentry.Init(sentry.ClientOptions{
		Dsn:           os.Getenv("SENTRY_DSN"),
		Release:       os.Getenv("SENTRY_RELEASE"),
		Environment:   os.Getenv("SENTRY_ENVIRONMENT"),
		EnableTracing: true,
		// The rate of traces that start here. A caller's decision, from
		// its sentry-trace header, wins for the traces it starts.
		TracesSampleRate: 1.0,
	})
	if err != nil {
		log.Fatalf("sentry: %v", err)
	}

	tp, prop := setup(sentry.CurrentHub())
	// Register both globally too, for instrumentation that looks them up
	// there (otelhttp clients, database drivers, ...).
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(prop)

	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	// The origin of the web page that calls this service, if one does.
	webOrigin := os.Getenv("WEB_ORIGIN")
	srv := &http.Server{Addr: addr, Handler: newRouter(tp, prop, webOrigin), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		log.Printf("listening on http://%s", addr)
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("server: %v", err)
			stop()
		}
	}()
	<-ctx.Done()

	// Stop taking requests, then send the spans of the last ones:
	// TracerProvider.Shutdown flushes the span processor, which waits for
	// sentry-go to deliver the transactions.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Printf("server shutdown: %v", err)
	}
	if err := tp.Shutdown(shutdownCtx); err != nil {
		log.Printf("tracing shutdown: %v", err)
	}
}

// setup connects OpenTelemetry to the Sentry client of hub: a tracer
// provider whose sampler and span processor are otelsentry's, and the
// propagator to read and write trace headers with. Shut the provider down
// before the program ends.
func setup(hub *sentry.Hub) (*sdktrace.TracerProvider, propagation.TextMapPropagator) {
	tp := sdktrace.NewTracerProvider(
		// One sampling decision for OpenTelemetry and Sentry, which follows
		// the caller's.
		sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))),
		// Spans become Sentry transactions. Register the processor as it
		// is, not inside a batcher: it groups spans itself.
		sdktrace.WithSpanProcessor(otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(serviceName))),
	)
	// W3C trace context and baggage for OpenTelemetry peers, then Sentry's
	// sentry-trace and baggage: last, so that sentry-trace wins when a
	// request carries both.
	prop := propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{},
		propagation.Baggage{},
		otelsentry.NewPropagator(otelsentry.WithHub(hub)),
	)
	return tp, prop
}

// newRouter returns the service's routes, traced by otelgin with tp and
// prop, open to the browser page at webOrigin when it is set.
func newRouter(tp trace.TracerProvider, prop propagation.TextMapPropagator, webOrigin string) *gin.Engine {
	r := gin.New()
	r.Use(
		gin.Recovery(),
		// Before otelgin, so that a preflight makes no transaction.
		cors(webOrigin),
		// otelgin names each server span after the route ("GET
		// /users/:id"), which otelsentry uses as the transaction name.
		otelgin.Middleware(serviceName, otelgin.WithTracerProvider(tp), otelgin.WithPropagators(prop)),
	)
	r.GET("/users/:id", getUser)
	return r
}

// cors lets the page at origin call the service. Sentry's browser SDK adds
// sentry-trace and baggage to the requests its tracePropagationTargets
// match: the preflight must allow them, or the browser blocks the request
// ("Request header field sentry-trace is not allowed by
// Access-Control-Allow-Headers").
func cors(origin string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if origin == "" || c.GetHeader("Origin") != origin {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if c.Request.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "sentry-trace, baggage")
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}

// user is the service's only resource.
type user struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// users stands in for the service's database.
var users = map[string]user{
	"1": {ID: "1", Name: "Ada Lovelace"},
	"2": {ID: "2", Name: "Grace Hopper"},
}

// getUser answers GET /users/:id.
func getUser(c *gin.Context) {
	u, ok := users[c.Param("id")]
	if !ok {
		c.JSON(http.StatusNotFound, gin.H{"error": "no such user"})
		return
	}
	c.JSON(http.StatusOK, u)
}
