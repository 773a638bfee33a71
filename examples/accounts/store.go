package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/XSAM/otelsql"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, in pure Go
)

// schema creates the accounts database with one user.
const schema = `
CREATE TABLE users (
	id                 INTEGER PRIMARY KEY,
	email              TEXT    NOT NULL UNIQUE,
	name               TEXT    NOT NULL,
	reset_requested_at INTEGER
);
CREATE TABLE reset_tokens (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	token_hash TEXT    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE TABLE audit_log (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	event      TEXT    NOT NULL,
	message_id TEXT    NOT NULL UNIQUE, -- a redelivered message is logged once
	at         INTEGER NOT NULL
);
INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada Lovelace');
`

// The statements of the service. Each becomes a db span whose description
// is the statement, which Sentry's Queries insight groups on. Keep values
// out of them: pass them as arguments.
const (
	sqlUserByEmail   = "SELECT id, name FROM users WHERE email = ?"
	sqlRecentTokens  = "SELECT COUNT(*) FROM reset_tokens WHERE user_id = ? AND created_at > ?"
	sqlDeleteExpired = "DELETE FROM reset_tokens WHERE user_id = ? AND expires_at <= ?"
	sqlInsertToken   = "INSERT INTO reset_tokens (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)"
	sqlMarkRequested = "UPDATE users SET reset_requested_at = ? WHERE id = ?"
	sqlInsertAudit   = "INSERT INTO audit_log (user_id, event, message_id, at) VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING"
)

// user is a row of the users table.
type user struct {
	ID   int64
	Name string
}

// store is the accounts database, traced with otelsql.
type store struct {
	db *sql.DB
}

// openStore creates the SQLite database at path, traced with tp.
func openStore(ctx context.Context, path string, tp trace.TracerProvider) (*store, error) {
	db, err := otelsql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)",
		otelsql.WithTracerProvider(tp),
		otelsql.WithAttributes(semconv.DBSystemNameSQLite),
		otelsql.WithSpanOptions(otelsql.SpanOptions{SpanFilter: tracedStatement}),
	)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	return &store{db: db}, nil
}

// tracedStatement is the otelsql span filter: one span per statement run
// within a trace, as Sentry's Queries insight expects. It leaves out the
// spans of the connection pool's work (connect, reset, prepare, reading
// rows, which would crowd the transaction) and statements run outside any
// trace, like the schema above, which would each become a transaction.
// Transactions (BeginTx, Commit) are left out too: allow
// otelsql.MethodConnBeginTx and otelsql.MethodTxCommit to see them.
func tracedStatement(ctx context.Context, method otelsql.Method, _ string, _ []driver.NamedValue) bool {
	switch method {
	case otelsql.MethodConnExec, otelsql.MethodConnQuery, otelsql.MethodStmtExec, otelsql.MethodStmtQuery:
		return trace.SpanContextFromContext(ctx).IsValid()
	}
	return false
}

// close closes the database.
func (s *store) close() error {
	return s.db.Close()
}

// userByEmail returns the user with that address, or sql.ErrNoRows.
func (s *store) userByEmail(ctx context.Context, email string) (user, error) {
	var u user
	err := s.db.QueryRowContext(ctx, sqlUserByEmail, email).Scan(&u.ID, &u.Name)
	return u, err
}

// recentTokens counts the user's tokens created after since.
func (s *store) recentTokens(ctx context.Context, userID int64, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, sqlRecentTokens, userID, since.Unix()).Scan(&n)
	return n, err
}

// deleteExpiredTokens deletes the user's tokens that expired by now.
func (s *store) deleteExpiredTokens(ctx context.Context, userID int64, now time.Time) error {
	_, err := s.db.ExecContext(ctx, sqlDeleteExpired, userID, now.Unix())
	return err
}

// insertToken stores the hash of a new token of the user.
func (s *store) insertToken(ctx context.Context, userID int64, tokenHash string, created, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, sqlInsertToken, userID, tokenHash, created.Unix(), expires.Unix())
	return err
}

// markResetRequested records when the user last asked for a reset.
func (s *store) markResetRequested(ctx context.Context, userID int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, sqlMarkRequested, at.Unix(), userID)
	return err
}

// recordAudit logs an event of the user once per message.
func (s *store) recordAudit(ctx context.Context, userID int64, event, messageID string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, sqlInsertAudit, userID, event, messageID, at.Unix())
	return err
}
