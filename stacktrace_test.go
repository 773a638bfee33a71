package otelsentry

import (
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
)

// goStackGolden is a goroutine trace as runtime/debug.Stack prints it, with
// a method, an inlined call, a closure, a module-cache dependency and a
// "created by" line.
const goStackGolden = `goroutine 7 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
main.(*T).m(...)
	/tmp/app/main.go:10
github.com/acme/lib/v2.Do[...]({0x4b7f20, 0x5}, 0xc000010000)
	/root/go/pkg/mod/github.com/acme/lib/v2@v2.1.0/do.go:33 +0x1d
main.main.func1()
	/tmp/app/main.go:14 +0x1c
created by main.main in goroutine 1
	/tmp/app/main.go:14 +0x66
`

// goStackGoldenFrames are the frames of goStackGolden, oldest call first.
var goStackGoldenFrames = []sentry.Frame{
	{Function: "main.func1", Module: "main", AbsPath: "/tmp/app/main.go", Filename: "main.go", Lineno: 14, InApp: true},
	{Function: "Do[...]", Module: "github.com/acme/lib/v2", AbsPath: "/root/go/pkg/mod/github.com/acme/lib/v2@v2.1.0/do.go", Filename: "github.com/acme/lib/v2@v2.1.0/do.go", Lineno: 33, InApp: false},
	{Function: "(*T).m", Module: "main", AbsPath: "/tmp/app/main.go", Filename: "main.go", Lineno: 10, InApp: true},
	{Function: "Stack", Module: "runtime/debug", AbsPath: "/usr/local/go/src/runtime/debug/stack.go", Filename: "runtime/debug/stack.go", Lineno: 26, InApp: false},
}

func TestParseGoStack(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []sentry.Frame
	}{
		{name: "debug.Stack output", text: goStackGolden, want: goStackGoldenFrames},
		{name: "CRLF line ends", text: strings.ReplaceAll(goStackGolden, "\n", "\r\n"), want: goStackGoldenFrames},
		{name: "indented with spaces", text: strings.ReplaceAll(goStackGolden, "\t", "    "), want: goStackGoldenFrames},
		{
			name: "without goroutine header",
			text: "main.f()\n\t/app/main.go:5 +0x1\n",
			want: []sentry.Frame{{Function: "f", Module: "main", AbsPath: "/app/main.go", Filename: "main.go", Lineno: 5, InApp: true}},
		},
		{
			name: "panic trace keeps the first goroutine only",
			text: "panic: boom\n\ngoroutine 1 [running]:\npanic({0x4a0b40?, 0x4d8e38?})\n\t/usr/local/go/src/runtime/panic.go:785 +0x132\n" +
				"main.main()\n\t/app/main.go:8 +0x25\n\ngoroutine 2 [chan receive]:\nmain.worker()\n\t/app/main.go:20 +0x1\n",
			want: []sentry.Frame{
				{Function: "main", Module: "main", AbsPath: "/app/main.go", Filename: "main.go", Lineno: 8, InApp: true},
				{Function: "panic", AbsPath: "/usr/local/go/src/runtime/panic.go", Filename: "panic.go", Lineno: 785, InApp: false},
			},
		},
		{
			name: "GOTRACEBACK=system pointers",
			text: "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:8 +0x25 fp=0xc000 sp=0xc001 pc=0x4a\n",
			want: []sentry.Frame{{Function: "main", Module: "main", AbsPath: "/app/main.go", Filename: "main.go", Lineno: 8, InApp: true}},
		},
		{
			name: "inlined frame without offset and pointers",
			text: "goroutine 1 [running]:\nmain.f(...)\n\t/app/main.go:8 fp=0xc000 sp=0xc001\n",
			want: []sentry.Frame{{Function: "f", Module: "main", AbsPath: "/app/main.go", Filename: "main.go", Lineno: 8, InApp: true}},
		},
		{
			name: "elided frames line is skipped",
			text: "main.f()\n\t/app/main.go:5 +0x1\n...additional frames elided...\nmain.g()\n\t/app/main.go:9 +0x1\n",
			want: []sentry.Frame{
				{Function: "g", Module: "main", AbsPath: "/app/main.go", Filename: "main.go", Lineno: 9, InApp: true},
				{Function: "f", Module: "main", AbsPath: "/app/main.go", Filename: "main.go", Lineno: 5, InApp: true},
			},
		},
		{
			name: "stdlib, vendored and trimpath frames are not in app",
			text: "net/http.(*conn).serve(0xc0001)\n\t/opt/go/src/net/http/server.go:2092 +0x1\n" +
				"example.com/app/vendor/x.y/z.F()\n\t/src/app/vendor/x.y/z/f.go:3 +0x1\n" +
				"go.opentelemetry.io/otel/sdk/trace.(*recordingSpan).End()\n\tgo.opentelemetry.io/otel/sdk@v1.47.0/trace/span.go:420 +0x1\n" +
				"example.com/app/internal/svc.Run()\n\texample.com/app/internal/svc/run.go:7 +0x1\n",
			want: []sentry.Frame{
				{Function: "Run", Module: "example.com/app/internal/svc", AbsPath: "example.com/app/internal/svc/run.go", Filename: "run.go", Lineno: 7, InApp: true},
				{Function: "(*recordingSpan).End", Module: "go.opentelemetry.io/otel/sdk/trace", AbsPath: "go.opentelemetry.io/otel/sdk@v1.47.0/trace/span.go", Filename: "span.go", Lineno: 420, InApp: false},
				{Function: "F", Module: "example.com/app/vendor/x.y/z", AbsPath: "/src/app/vendor/x.y/z/f.go", Filename: "f.go", Lineno: 3, InApp: false},
				{Function: "(*conn).serve", Module: "net/http", AbsPath: "/opt/go/src/net/http/server.go", Filename: "net/http/server.go", Lineno: 2092, InApp: false},
			},
		},
		{
			name: "windows path",
			text: "main.main()\n\tC:/Users/me/app/main.go:8 +0x25\n",
			want: []sentry.Frame{{Function: "main", Module: "main", AbsPath: "C:/Users/me/app/main.go", Filename: "main.go", Lineno: 8, InApp: true}},
		},
		{
			name: "names that do not split are kept whole",
			text: ".f()\n\t/app/x.go:1\nmain.()\n\t/app/x.go:2\n",
			want: []sentry.Frame{
				{Function: "main.", AbsPath: "/app/x.go", Filename: "x.go", Lineno: 2, InApp: false},
				{Function: ".f", AbsPath: "/app/x.go", Filename: "x.go", Lineno: 1, InApp: false},
			},
		},
		{
			name: "location without a function is skipped",
			text: "\t/app/a.go:1 +0x1\nmain.f()\n\t/app/main.go:5 +0x1\n",
			want: []sentry.Frame{{Function: "f", Module: "main", AbsPath: "/app/main.go", Filename: "main.go", Lineno: 5, InApp: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseGoStack(tt.text)
			if got == nil {
				t.Fatal("parseGoStack() = nil")
			}
			if !reflect.DeepEqual(got.Frames, tt.want) {
				t.Errorf("parseGoStack() frames =\n%+v\nwant\n%+v", got.Frames, tt.want)
			}
		})
	}
}

func TestParseGoStackUnparsable(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{name: "empty", text: ""},
		{name: "free text", text: "something went wrong"},
		{name: "header only", text: "goroutine 1 [running]:\n"},
		{name: "function without location", text: "goroutine 1 [running]:\nmain.main()\n"},
		{name: "line number not a number", text: "main.main()\n\t/app/main.go:eight +0x1\n"},
		{name: "line number zero", text: "main.main()\n\t/app/main.go:0 +0x1\n"},
		{name: "line number negative", text: "main.main()\n\t/app/main.go:-3\n"},
		{name: "line number overflows", text: "main.main()\n\t/app/main.go:99999999999999999999999\n"},
		{name: "no file", text: "main.main()\n\t:12\n"},
		{name: "no colon", text: "main.main()\n\t/app/main.go\n"},
		{name: "unbalanced parentheses", text: "main.main))\n\t/app/main.go:3\n"},
		{name: "empty function name", text: "()\n\t/app/main.go:3\n"},
		{name: "created by only", text: "created by main.main in goroutine 1\n\t/app/main.go:3 +0x1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseGoStack(tt.text); got != nil {
				t.Errorf("parseGoStack() = %+v, want nil", got.Frames)
			}
		})
	}
}

func TestParseGoStackFrameCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\n")
	const n = maxGoStackFrames + 50
	for i := range n {
		b.WriteString("main.f" + strconv.Itoa(i) + "()\n\t/app/main.go:" + strconv.Itoa(i+1) + " +0x1\n")
	}
	got := parseGoStack(b.String())
	if got == nil {
		t.Fatal("parseGoStack() = nil")
	}
	if len(got.Frames) != maxGoStackFrames {
		t.Fatalf("len(frames) = %d, want %d", len(got.Frames), maxGoStackFrames)
	}
	// The newest frames are kept: the first printed is the last in Sentry's order.
	if last := got.Frames[len(got.Frames)-1]; last.Function != "f0" {
		t.Errorf("newest frame = %q, want f0", last.Function)
	}
	if first := got.Frames[0]; first.Lineno != maxGoStackFrames {
		t.Errorf("oldest kept frame line = %d, want %d", first.Lineno, maxGoStackFrames)
	}
}

// stackOfCaller returns debug.Stack() as the exception.stacktrace of a
// recorded error holds it.
func stackOfCaller() string {
	return string(debug.Stack())
}

func TestParseGoStackReal(t *testing.T) {
	got := parseGoStack(stackOfCaller())
	if got == nil {
		t.Fatal("parseGoStack(debug.Stack()) = nil")
	}
	frames := got.Frames
	if len(frames) < 3 {
		t.Fatalf("got %d frames, want at least 3: %+v", len(frames), frames)
	}
	newest := frames[len(frames)-1]
	if newest.Module != "runtime/debug" || newest.Function != "Stack" || newest.InApp {
		t.Errorf("newest frame = %+v, want runtime/debug.Stack not in app", newest)
	}
	helper := frames[len(frames)-2]
	const module = "github.com/otelsentry/otelsentry"
	if helper.Module != module || helper.Function != "stackOfCaller" || !helper.InApp ||
		!strings.HasSuffix(helper.AbsPath, "stacktrace_test.go") || helper.Filename != "stacktrace_test.go" || helper.Lineno <= 0 {
		t.Errorf("caller frame = %+v, want %s.stackOfCaller in app in stacktrace_test.go", helper, module)
	}
	test := frames[len(frames)-3]
	if test.Module != module || test.Function != "TestParseGoStackReal" || !test.InApp {
		t.Errorf("test frame = %+v, want %s.TestParseGoStackReal in app", test, module)
	}
	oldest := frames[0]
	if oldest.Module != "testing" || oldest.InApp {
		t.Errorf("oldest frame = %+v, want a testing frame not in app", oldest)
	}
}

func FuzzParseGoStack(f *testing.F) {
	f.Add(goStackGolden)
	f.Add(stackOfCaller())
	f.Add("")
	f.Add("main.main()\n\t/app/main.go:8 +0x25 fp=0xc000 sp=0xc001\n")
	f.Add("panic({0x1?})\n\t:1\n()\n\t/a:2\n)(\n\t/b:-1\n")
	f.Fuzz(func(t *testing.T, text string) {
		got := parseGoStack(text)
		if got == nil {
			return
		}
		if n := len(got.Frames); n == 0 || n > maxGoStackFrames {
			t.Fatalf("got %d frames, want 1 to %d", n, maxGoStackFrames)
		}
		for _, fr := range got.Frames {
			if fr.Lineno <= 0 || fr.AbsPath == "" || fr.Function == "" {
				t.Fatalf("incomplete frame %+v", fr)
			}
		}
	})
}
