// Command mailer is the mail service of the demo: it consumes the reset
// tasks the API publishes to RabbitMQ, continues each one's trace in a
// queue.process transaction, and "sends" the mail (it logs it).
//
// A malformed message, or one with malformed trace headers, is rejected
// alone: the consumer goes on with the next one. When the broker goes away,
// the mailer connects again.
//
// Environment:
//
//	SENTRY_DSN           where transactions and errors go (required)
//	OTELSENTRY_AMQP_URL  the broker (default amqp://guest:guest@127.0.0.1:5672/)
//	RESET_QUEUE          the queue of reset tasks (default password-reset)
//	SENTRY_RELEASE, SENTRY_ENVIRONMENT
package main
