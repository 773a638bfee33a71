package otelsentry

import (
	"time"

	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Defaults of the span processor. Each can be changed with the option of the
// same name.
const (
	// DefaultGracePeriod is how long a transaction whose root has ended
	// waits for its open children before it is sent.
	DefaultGracePeriod = time.Second
	// DefaultMaxOpenSpans caps the spans the processor tracks while they are
	// open. Past it the oldest open span is forgotten and counted as dropped.
	DefaultMaxOpenSpans = 50_000
	// DefaultOpenSpanTimeout is how long the processor tracks a span that has
	// not ended. An older open span is forgotten and counted as dropped.
	DefaultOpenSpanTimeout = 10 * time.Minute
	// DefaultQueueSize is the number of finished transactions that may wait
	// for the background worker. Past it transactions are dropped and counted.
	DefaultQueueSize = 2048
)

// config holds the settings of every constructor of this package. Each
// constructor reads the fields that concern it.
type config struct {
	hub           *sentry.Hub
	sampleRate    float64
	hasSampleRate bool
	tracesSampler TracesSampler

	gracePeriod     time.Duration
	maxOpenSpans    int
	openSpanTimeout time.Duration
	queueSize       int
	maxInFlight     int
	maxQueuedBytes  int64

	unsampledErrors bool

	propagationTargets    []string
	hasPropagationTargets bool

	providerOptions []sdktrace.TracerProviderOption

	traceparent bool
}

func newConfig(opts []Option) config {
	c := config{
		gracePeriod:     DefaultGracePeriod,
		maxOpenSpans:    DefaultMaxOpenSpans,
		openSpanTimeout: DefaultOpenSpanTimeout,
		queueSize:       DefaultQueueSize,
		maxInFlight:     DefaultMaxInFlight,
		maxQueuedBytes:  DefaultMaxQueuedBytes,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// Option configures NewPropagator, NewSampler or NewSpanProcessor. Options
// that do not concern a constructor are ignored by it.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithHub sets the Sentry hub whose client supplies the DSN, release,
// environment and sample rate, and, for the span processor, sends the
// transactions. Without it, the hub stored in the context is used, and
// otherwise sentry.CurrentHub(). A nil hub is ignored.
func WithHub(hub *sentry.Hub) Option {
	return optionFunc(func(c *config) {
		if hub != nil {
			c.hub = hub
		}
	})
}

// WithSampleRate overrides the client's TracesSampleRate for NewSampler.
// The rate is clamped to [0, 1]; NaN is ignored.
func WithSampleRate(rate float64) Option {
	return optionFunc(func(c *config) {
		if rate != rate { // NaN
			return
		}
		c.sampleRate = clampRate(rate)
		c.hasSampleRate = true
	})
}

// WithTracesSampler sets the callback NewSampler asks for the sample rate of
// each transaction root: a span with no parent or a remote parent. Its result
// is clamped to [0, 1] and overrides both the configured rate and the
// parent's decision. A nil callback is ignored.
func WithTracesSampler(fn TracesSampler) Option {
	return optionFunc(func(c *config) {
		if fn != nil {
			c.tracesSampler = fn
		}
	})
}

// WithGracePeriod sets how long NewSpanProcessor holds a transaction whose
// root ended while some of its children are still open. Children that end
// later are sent as follow-up transactions of the same trace. Zero sends the
// transaction as soon as its root ends; negative values are ignored.
// The default is DefaultGracePeriod.
func WithGracePeriod(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d >= 0 {
			c.gracePeriod = d
		}
	})
}

// WithMaxOpenSpans caps the number of open spans NewSpanProcessor tracks.
// Past it the oldest is forgotten and counted in Stats.OpenSpansDropped.
// Values below 1 are ignored. The default is DefaultMaxOpenSpans.
func WithMaxOpenSpans(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxOpenSpans = n
		}
	})
}

// WithOpenSpanTimeout sets how long NewSpanProcessor tracks a span that has
// not ended. Values below or equal to zero are ignored. The default is
// DefaultOpenSpanTimeout.
func WithOpenSpanTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.openSpanTimeout = d
		}
	})
}

// WithQueueSize sets how many finished transactions may wait for the
// processor's background worker. Values below 1 are ignored. The default is
// DefaultQueueSize.
func WithQueueSize(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.queueSize = n
		}
	})
}

// WithMaxInFlight sets how many envelopes NewSpanProcessor sends at once,
// each over a kept-alive connection of its own. Sentry takes one
// transaction per request, so this bounds what a distant Sentry receives:
// at 50 ms a request, 32 deliver 640 transactions a second. Values below 1
// are ignored. The default is DefaultMaxInFlight.
func WithMaxInFlight(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxInFlight = n
		}
	})
}

// WithMaxQueuedBytes bounds the encoded envelopes waiting for a sender of
// NewSpanProcessor. Past it envelopes are dropped, counted in
// Stats.QueueDropped and reported to Sentry. Values below 1 are ignored. The
// default is DefaultMaxQueuedBytes.
func WithMaxQueuedBytes(n int64) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxQueuedBytes = n
		}
	})
}

// WithTracePropagationTargets sets the URLs NewTransport sends Sentry's
// trace headers to: those that contain one of targets. It overrides the
// client's TracePropagationTargets; with no targets, every URL gets them.
func WithTracePropagationTargets(targets ...string) Option {
	return optionFunc(func(c *config) {
		c.propagationTargets = targets
		c.hasPropagationTargets = true
	})
}

// WithTraceparent makes NewPropagator's Inject write the W3C traceparent
// header too, of the same trace and span as sentry-trace, for peers that
// speak only W3C Trace Context. Without it the client's
// ClientOptions.PropagateTraceparent decides, as in sentry-go.
func WithTraceparent() Option {
	return optionFunc(func(c *config) { c.traceparent = true })
}

// WithUnsampledErrors sends the exceptions recorded on the spans of
// unsampled traces to Sentry as error events, as Sentry's SDKs send errors
// whatever the sampling of their trace. Give it to both constructors:
//
//   - NewSampler then records the spans it does not sample
//     (sdktrace.RecordOnly instead of Drop). They stay unsampled and are
//     propagated as such, but span.RecordError works on them, at the cost of
//     recording every span of every trace.
//   - NewSpanProcessor then sends the exception events of unsampled spans as
//     error events linked to their trace and span, through WithHub's hub, else
//     sentry.CurrentHub(). It builds no transaction for them, and nothing at
//     all for an unsampled span without an exception.
func WithUnsampledErrors() Option {
	return optionFunc(func(c *config) { c.unsampledErrors = true })
}

func clampRate(r float64) float64 {
	switch {
	case r != r || r < 0:
		return 0
	case r > 1:
		return 1
	}
	return r
}
