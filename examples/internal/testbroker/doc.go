// Package testbroker tells the examples' tests where the RabbitMQ broker is.
//
// The broker's URL comes from OTELSENTRY_AMQP_URL, which scripts/test.sh
// exports after starting a private broker with scripts/rabbitmq.sh. Without
// it a test is skipped, except on CI (CI=true), where a missing broker is a
// failure rather than a silently skipped test.
package testbroker
