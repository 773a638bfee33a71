package main

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// corsAllowedHeaders are the request headers the page may send. Sentry's
// browser SDK adds sentry-trace and baggage to the API's requests (those
// its tracePropagationTargets match): without them here the browser's
// preflight fails and the request never leaves the page ("Request header
// field sentry-trace is not allowed by Access-Control-Allow-Headers").
const corsAllowedHeaders = "sentry-trace, baggage, content-type"

// cors answers the preflight requests of the page at origin, and lets it
// read the answers to its requests. It comes before otelgin, so that a
// preflight makes no transaction.
func cors(origin string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Origin") != origin {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if c.Request.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", corsAllowedHeaders)
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}
