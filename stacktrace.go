package otelsentry

import (
	"slices"
	"strconv"
	"strings"

	"github.com/getsentry/sentry-go"
)

// maxGoStackFrames caps the frames parseGoStack keeps. The Go runtime
// itself prints at most 100 frames of a goroutine before eliding the rest.
const maxGoStackFrames = 256

// Markers of code that is not the application's own.
const (
	goModuleCacheDir = "/pkg/mod/"
	goVendorDir      = "/vendor/"
	goRootSrcDir     = "/usr/local/go/src/"
)

// parseGoStack parses the text of a Go goroutine trace, as runtime/debug.Stack
// prints it and OpenTelemetry records it in exception.stacktrace:
//
//	goroutine 1 [running]:
//	main.f(...)
//		/path/file.go:12 +0x1d
//
// into a Sentry stack trace, oldest call first as Sentry orders frames. Only
// the first goroutine is read, up to its "created by" line, and at most
// maxGoStackFrames frames (the newest). Lines it does not understand are
// skipped. It returns nil when no frame can be read. The work is linear in
// the length of text and it never panics.
func parseGoStack(text string) *sentry.Stacktrace {
	var frames []sentry.Frame
	var function string // of the last function line, until its location line
	for rest := text; rest != "" && len(frames) < maxGoStackFrames; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "goroutine "):
			if len(frames) > 0 {
				rest = "" // a second goroutine: stop
			}
			function = ""
		case strings.HasPrefix(line, "created by "):
			rest = ""
		default:
			if function != "" {
				if f, ok := goFrame(function, line); ok {
					frames = append(frames, f)
					function = ""
					continue
				}
			}
			function = goFunctionName(line)
		}
	}
	if len(frames) == 0 {
		return nil
	}
	slices.Reverse(frames)
	return &sentry.Stacktrace{Frames: frames}
}

// goFunctionName returns the qualified function name of a function line of
// a goroutine trace, "pkg/path.(*T).Method(0x1, {0x2, 0x3})", without its
// argument list. It returns "" for a line that is not a function line.
func goFunctionName(line string) string {
	if !strings.HasSuffix(line, ")") {
		return ""
	}
	depth := 0
	for i := len(line) - 1; i >= 0; i-- {
		switch line[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				name := line[:i]
				if name == "" || strings.ContainsAny(name, " \t") {
					return ""
				}
				return name
			}
		}
	}
	return ""
}

// goFrame builds the frame of the qualified function name function from
// the location line that follows it, "/path/file.go:12 +0x1d" once trimmed.
// It reports false when the line holds no file and positive line number.
func goFrame(function, location string) (sentry.Frame, bool) {
	if i := strings.Index(location, " +0x"); i >= 0 {
		location = location[:i]
	}
	colon := strings.LastIndexByte(location, ':')
	if colon <= 0 {
		return sentry.Frame{}, false
	}
	file, num := location[:colon], location[colon+1:]
	if i := strings.IndexByte(num, ' '); i >= 0 {
		num = num[:i] // e.g. " fp=0x... sp=0x..." with GOTRACEBACK=system
	}
	lineno, err := strconv.Atoi(num)
	if err != nil || lineno <= 0 {
		return sentry.Frame{}, false
	}
	module, name := splitGoFunction(function)
	return sentry.Frame{
		Function: name,
		Module:   module,
		AbsPath:  file,
		Filename: goFilename(module, file),
		Lineno:   lineno,
		InApp:    isInAppGoFrame(module, file),
	}, true
}

// splitGoFunction splits a qualified function name into the package import
// path and the function: "github.com/a/b.(*T).M" into "github.com/a/b" and
// "(*T).M". A name with no package, such as "panic", or that does not split
// into two non-empty parts, has an empty package and is kept whole.
func splitGoFunction(qualified string) (pkg, function string) {
	start := strings.LastIndexByte(qualified, '/') + 1
	dot := strings.IndexByte(qualified[start:], '.')
	if dot <= 0 || start+dot == len(qualified)-1 {
		return "", qualified
	}
	dot += start
	return qualified[:dot], qualified[dot+1:]
}

// goFilename shortens the path of a source file for display: the part after
// the module cache directory, else the part from the package's directory in
// a GOROOT-like src tree, else the file's base name.
func goFilename(pkg, file string) string {
	if i := strings.Index(file, goModuleCacheDir); i >= 0 {
		return file[i+len(goModuleCacheDir):]
	}
	if pkg != "" {
		if i := strings.LastIndex(file, "/src/"+pkg+"/"); i >= 0 {
			return file[i+len("/src/"):]
		}
	}
	return file[strings.LastIndexByte(file, '/')+1:]
}

// isInAppGoFrame reports whether the frame of package pkg in file is the
// application's code. Frames are not the application's when they come from
// the module cache, a vendor directory or a versioned module path (built
// with -trimpath), from the Go tree under /usr/local/go/src, from the
// standard library (a package whose first path element has no dot and is a
// standard library directory, such as runtime, runtime/debug or net/http),
// or have no package (runtime frames such as panic).
func isInAppGoFrame(pkg, file string) bool {
	switch {
	case pkg == "",
		strings.Contains(file, goModuleCacheDir),
		strings.Contains(file, goVendorDir),
		hasModuleVersion(file),
		strings.HasPrefix(file, goRootSrcDir):
		return false
	}
	root, _, _ := strings.Cut(pkg, "/")
	return !isGoStdlibRoot(root)
}

// hasModuleVersion reports whether path holds a module version, "@v"
// followed by a digit, as paths of dependencies do.
func hasModuleVersion(path string) bool {
	for {
		i := strings.Index(path, "@v")
		if i < 0 {
			return false
		}
		path = path[i+2:]
		if path != "" && path[0] >= '0' && path[0] <= '9' {
			return true
		}
	}
}

// isGoStdlibRoot reports whether root is the first path element of a
// standard library package.
func isGoStdlibRoot(root string) bool {
	switch root {
	case "archive", "arena", "bufio", "builtin", "bytes", "cmp", "compress",
		"container", "context", "crypto", "database", "debug", "embed",
		"encoding", "errors", "expvar", "flag", "fmt", "go", "hash", "html",
		"image", "index", "internal", "io", "iter", "log", "maps", "math",
		"mime", "net", "os", "path", "plugin", "reflect", "regexp", "runtime",
		"simd", "slices", "sort", "strconv", "strings", "structs", "sync",
		"syscall", "testing", "text", "time", "unicode", "unique", "unsafe",
		"vendor", "weak":
		return true
	}
	return false
}
