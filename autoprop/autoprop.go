package autoprop

import (
	"go.opentelemetry.io/contrib/propagators/autoprop"

	"github.com/otelsentry/otelsentry"
)

// Name is the name under which the propagator is registered.
const Name = "sentry"

func init() {
	// autoprop's registry is its own global: registering there is what
	// OTEL_PROPAGATORS reads. The propagator uses the hub in the context,
	// else sentry.CurrentHub().
	autoprop.RegisterTextMapPropagator(Name, otelsentry.NewPropagator())
}
