// Package snippets compiles every Go snippet of the README and of the
// library's package documentation, so that what a user copies builds.
package snippets
