package otelsentry

import (
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// NewTracerProvider returns an OpenTelemetry TracerProvider wired to
// Sentry: NewSampler decides, and NewSpanProcessor sends the spans as
// Sentry transactions, both configured by the same opts (WithHub,
// WithSampleRate, WithUnsampledErrors, ...), so that they cannot disagree.
// sdktrace options (a resource, more processors) go in with
// WithTracerProviderOptions.
//
// Register it with otel.SetTracerProvider, and shut it down before the
// program ends: Shutdown delivers the transactions still held, which
// sentry.Flush does not.
//
//	tp := otelsentry.NewTracerProvider()
//	otel.SetTracerProvider(tp)
//	defer tp.Shutdown(context.Background())
func NewTracerProvider(opts ...Option) *sdktrace.TracerProvider {
	c := newConfig(opts)
	all := append([]sdktrace.TracerProviderOption{
		sdktrace.WithSampler(NewSampler(opts...)),
		sdktrace.WithSpanProcessor(NewSpanProcessor(opts...)),
	}, c.providerOptions...)
	return sdktrace.NewTracerProvider(all...)
}

// WithTracerProviderOptions adds sdktrace options to what NewTracerProvider
// sets up, such as sdktrace.WithResource. Other constructors ignore it.
func WithTracerProviderOptions(opts ...sdktrace.TracerProviderOption) Option {
	return optionFunc(func(c *config) { c.providerOptions = append(c.providerOptions, opts...) })
}
