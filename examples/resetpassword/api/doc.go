// Command api is the password-reset API of the demo: a gin service traced
// with otelgin and otelsentry. The page calls POST /users/reset-password
// with {"email": "..."}; the API validates it and publishes a task to
// RabbitMQ, which the mailer consumes.
//
// Copy it into a service: the Sentry client, the TracerProvider and the
// propagator are set up in main, CORS in cors.go, the handler and the
// publication in handler.go.
//
// Environment:
//
//	SENTRY_DSN           where transactions and errors go (required)
//	API_ADDR             listen address (default 127.0.0.1:8081)
//	WEB_ORIGIN           the page's origin, allowed by CORS (default http://127.0.0.1:8080)
//	OTELSENTRY_AMQP_URL  the broker (default amqp://guest:guest@127.0.0.1:5672/)
//	RESET_QUEUE          the queue of reset tasks (default password-reset)
//	SENTRY_RELEASE, SENTRY_ENVIRONMENT
package main
