package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Rules of the password reset.
const (
	tokenTTL         = 30 * time.Minute
	maxTokensPerHour = 3
	maxRiskScore     = 0.8
)

// errTooManyRequests refuses a reset when the user asked too often.
var errTooManyRequests = errors.New("too many password reset requests, try again later")

// accounts is the accounts service: it owns the users and their password
// reset tokens.
type accounts struct {
	store     *store
	client    *http.Client // traced with otelhttp
	riskURL   string       // base URL of the risk scoring service
	mailerURL string       // base URL of the mailer
	events    *publisher
}

// router returns the service's routes, traced by otelgin with tel's tracer
// provider and propagator.
func (a *accounts) router(tel *telemetry) *gin.Engine {
	r := gin.New()
	r.Use(
		gin.Recovery(),
		// One server span per request, named after the route: otelsentry
		// makes it the transaction "POST /reset-password".
		otelgin.Middleware(serviceName, otelgin.WithTracerProvider(tel.tp), otelgin.WithPropagators(tel.prop)),
	)
	r.POST("/reset-password", a.handleResetPassword)
	return r
}

// handleResetPassword answers POST /reset-password {"email": "..."}.
func (a *accounts) handleResetPassword(c *gin.Context) {
	var req struct {
		Email string `json:"email" binding:"required,email"`
	}
	if err := c.ShouldBindJSON(&req); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "a valid email address is required"})
		return
	}
	err := a.requestReset(c.Request.Context(), req.Email, c.ClientIP())
	switch {
	case err == nil:
		// The same answer whether the address is known or not.
		c.JSON(http.StatusAccepted, gin.H{"status": "if the address is registered, a reset link is on its way"})
	case errors.Is(err, errTooManyRequests):
		c.JSON(http.StatusTooManyRequests, gin.H{"error": err.Error()})
	default:
		// otelgin records the error on the server span; otelsentry sends it
		// to Sentry as an error event linked to the transaction.
		_ = c.Error(err)
		c.JSON(http.StatusInternalServerError, gin.H{"error": "internal error"})
	}
}

// requestReset creates a reset token for the user of email and mails it:
// five statements, two HTTP calls and one message, all children of the
// request's span through ctx.
func (a *accounts) requestReset(ctx context.Context, email, clientIP string) error {
	u, err := a.store.userByEmail(ctx, email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // reveal nothing about unknown addresses
	}
	if err != nil {
		return fmt.Errorf("look up user: %w", err)
	}
	score, err := a.riskScore(ctx, u.ID, clientIP)
	if err != nil {
		return fmt.Errorf("risk score: %w", err)
	}
	if score > maxRiskScore {
		// Refused silently; the span keeps the reason.
		trace.SpanFromContext(ctx).AddEvent("reset refused", trace.WithAttributes(attribute.Float64("risk.score", score)))
		return nil
	}

	now := time.Now()
	n, err := a.store.recentTokens(ctx, u.ID, now.Add(-time.Hour))
	if err != nil {
		return fmt.Errorf("count tokens: %w", err)
	}
	if n >= maxTokensPerHour {
		return errTooManyRequests
	}
	// The writes run one by one: a token row without the user's timestamp
	// is harmless. Wrap them in a database transaction where that is not so.
	if err := a.store.deleteExpiredTokens(ctx, u.ID, now); err != nil {
		return fmt.Errorf("delete expired tokens: %w", err)
	}
	token := rand.Text()
	if err := a.store.insertToken(ctx, u.ID, hashToken(token), now, now.Add(tokenTTL)); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	if err := a.store.markResetRequested(ctx, u.ID, now); err != nil {
		return fmt.Errorf("mark user: %w", err)
	}

	if err := a.sendResetMail(ctx, email, u.Name, token); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	if err := a.events.publish(ctx, resetRequested{UserID: u.ID, At: now}); err != nil {
		return fmt.Errorf("publish event: %w", err)
	}
	return nil
}

// hashToken returns the form in which a token is stored: only the user's
// mail holds the token itself.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// riskScore asks the risk scoring service how likely the request is fraud.
func (a *accounts) riskScore(ctx context.Context, userID int64, clientIP string) (float64, error) {
	in := map[string]any{"user_id": userID, "ip": clientIP, "action": "password_reset"}
	var out struct {
		Score float64 `json:"score"`
	}
	err := postJSON(ctx, a.client, a.riskURL+"/v1/score", in, &out)
	return out.Score, err
}

// sendResetMail asks the mailer to send the reset link.
func (a *accounts) sendResetMail(ctx context.Context, to, name, token string) error {
	in := map[string]any{
		"to":       to,
		"template": "password-reset",
		"data": map[string]string{
			"name": name,
			"link": "https://accounts.example.com/reset?token=" + url.QueryEscape(token),
		},
	}
	return postJSON(ctx, a.client, a.mailerURL+"/v1/messages", in, nil)
}

// postJSON posts in as JSON to url with client and decodes the answer into
// out, unless out is nil. The request carries ctx, so its client span is a
// child of the span in ctx, and its trace headers continue that trace.
func postJSON(ctx context.Context, client *http.Client, url string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close() // ends otelhttp's span
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
