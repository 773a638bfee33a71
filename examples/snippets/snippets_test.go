package snippets

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// snippet is one Go code block of the documentation.
type snippet struct {
	where string // file and line
	code  string
}

// readmeSnippets returns the ```go blocks of the README, indented or not.
func readmeSnippets(t *testing.T, path string) []snippet {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []snippet
	var cur []string
	indent, start, in := "", 0, false
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case !in && trimmed == "```go":
			in, indent, start, cur = true, line[:len(line)-len(trimmed)], i+2, nil
		case in && trimmed == "```":
			in = false
			out = append(out, snippet{where: fmt.Sprintf("%s:%d", filepath.Base(path), start), code: strings.Join(cur, "\n")})
		case in:
			cur = append(cur, strings.TrimPrefix(line, indent))
		}
	}
	return out
}

// godocSnippets returns the code blocks of a package comment: runs of lines
// "//\t...".
func godocSnippets(t *testing.T, path string) []snippet {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []snippet
	var cur []string
	start := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, snippet{where: fmt.Sprintf("%s:%d", filepath.Base(path), start), code: strings.Join(cur, "\n")})
			cur = nil
		}
	}
	for i, line := range strings.Split(string(data), "\n") {
		if code, ok := strings.CutPrefix(line, "//\t"); ok {
			if len(cur) == 0 {
				start = i + 1
			}
			cur = append(cur, code)
			continue
		}
		flush()
	}
	flush()
	return out
}

// standardImports are what a statement snippet may use without saying so.
var standardImports = map[string]string{
	"context":     "context",
	"http":        "net/http",
	"os":          "os",
	"time":        "time",
	"sentry":      "github.com/getsentry/sentry-go",
	"otelsentry":  "github.com/otelsentry/otelsentry",
	"otel":        "go.opentelemetry.io/otel",
	"propagation": "go.opentelemetry.io/otel/propagation",
	"sdktrace":    "go.opentelemetry.io/otel/sdk/trace",
	"otelhttp":    "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
	"autoprop":    "go.opentelemetry.io/contrib/propagators/autoprop",
	"gin":         "github.com/gin-gonic/gin",
	"otelgin":     "go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin",
}

var (
	importLine = regexp.MustCompile(`^import\s+(\w+\s+|_\s+)?"[^"]+"`)
	shortDecl  = regexp.MustCompile(`^(\w+)(,\s*\w+)*\s*:=`)
)

// program turns a snippet into a Go file that builds when the snippet is
// right: a snippet with declarations goes in as it is, with its imports;
// statements go in a function, with the standard imports.
func program(s snippet) string {
	lines := strings.Split(s.code, "\n")
	var imports, body []string
	inBlock := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "import ("):
			inBlock = true
		case inBlock && l == ")":
			inBlock = false
		case inBlock:
			if strings.TrimSpace(l) != "" {
				imports = append(imports, strings.TrimSpace(l))
			}
		case importLine.MatchString(l):
			imports = append(imports, strings.TrimSpace(strings.TrimPrefix(l, "import")))
		default:
			body = append(body, l)
		}
	}
	var b strings.Builder
	b.WriteString("package main\n\n")
	declarations := strings.Contains(s.code, "\nfunc ") || strings.HasPrefix(s.code, "func ") || strings.Contains(s.code, "import (")
	if declarations {
		for _, imp := range imports {
			fmt.Fprintf(&b, "import %s\n", imp)
		}
		b.WriteString(strings.Join(body, "\n"))
		if !strings.Contains(s.code, "func main()") {
			b.WriteString("\n\nfunc main() {}\n")
		}
		return b.String()
	}
	for _, imp := range imports {
		fmt.Fprintf(&b, "import %s\n", imp)
	}
	for name, path := range standardImports {
		fmt.Fprintf(&b, "import %s %q\n", name, path)
	}
	for name := range standardImports {
		fmt.Fprintf(&b, "var _ = %s.%s\n", name, anySymbol[name])
	}
	b.WriteString("\nfunc main() {\n")
	var declared []string
	for _, l := range body {
		b.WriteString("\t" + l + "\n")
		if shortDecl.MatchString(l) {
			for _, v := range strings.Split(strings.SplitN(l, ":=", 2)[0], ",") {
				if v = strings.TrimSpace(v); v != "_" {
					declared = append(declared, v)
				}
			}
		}
	}
	for _, v := range declared { // a snippet may declare what it does not use
		fmt.Fprintf(&b, "\t_ = %s\n", v)
	}
	b.WriteString("}\n")
	return b.String()
}

// anySymbol names an exported symbol of each standard import, to keep an
// unused import legal.
var anySymbol = map[string]string{
	"context": "Background", "http": "Get", "os": "Exit", "time": "Now", "sentry": "Init",
	"otelsentry": "NewPropagator", "otel": "GetTracerProvider", "propagation": "NewCompositeTextMapPropagator",
	"sdktrace": "NewTracerProvider", "otelhttp": "NewHandler", "autoprop": "NewTextMapPropagator",
	"gin": "New", "otelgin": "Middleware",
}

// TestSnippetsBuild builds every snippet of the README, of the pages of
// docs/ and of the package comment.
func TestSnippetsBuild(t *testing.T) {
	snippets := append(readmeSnippets(t, filepath.Join("..", "..", "README.md")), godocSnippets(t, filepath.Join("..", "..", "doc.go"))...)
	pages, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	for _, page := range pages {
		snippets = append(snippets, readmeSnippets(t, page)...)
	}
	if len(snippets) < 5 {
		t.Fatalf("found %d snippets: the extraction is broken", len(snippets))
	}
	dir, err := os.MkdirTemp(".", "build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var pkgs []string
	for i, s := range snippets {
		pkg := filepath.Join(dir, fmt.Sprintf("s%02d", i))
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, "main.go"), []byte(program(s)), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+pkg)
	}
	for i, pkg := range pkgs {
		cmd := exec.Command("go", "vet", pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			src, _ := os.ReadFile(filepath.Join(pkg, "main.go"))
			t.Errorf("the snippet at %s does not build: %v\n%s\n--- as built:\n%s", snippets[i].where, err, out, src)
		}
	}
}
