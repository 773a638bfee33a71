package main

import (
	"bytes"
	"strings"
	"testing"
)

// sampleOutput is go test -bench output of two runs, trimmed.
const sampleOutput = `go: go1.26.8
goos: linux
goarch: amd64
pkg: github.com/otelsentry/otelsentry/benchmarks
cpu: Intel(R) Xeon(R) Processor
BenchmarkProcessor/bare-sdk-2         	   52300	     28000 ns/op	     25000 cpu-ns/op	    9112 B/op	      66 allocs/op
BenchmarkProcessor/otelsentry-2       	   10000	    100000 ns/op	    40000 req-cpu-ns/op	    360000 cpu-ns/op	      6226 payload-B/op	   52637 B/op	     463 allocs/op
BenchmarkProcessor/sentry-go-otel-v0.46.2-2         	    3487	    330000 ns/op	    300000 cpu-ns/op	      4880 payload-B/op	   53241 B/op	     526 allocs/op
BenchmarkExtract/otelsentry-2         	 1000000	      1000 ns/op	     648 B/op	       9 allocs/op
BenchmarkExtract/otel-w3c-2           	  500000	      4000 ns/op	    7288 B/op	      46 allocs/op
BenchmarkProcessor/bare-sdk-2         	   52300	     30000 ns/op	     27000 cpu-ns/op	    9112 B/op	      66 allocs/op
BenchmarkProcessor/otelsentry-2       	   10000	    110000 ns/op	    380000 cpu-ns/op	      6226 payload-B/op	   52637 B/op	     463 allocs/op
BenchmarkProcessor/sentry-go-otel-v0.46.2-2         	    3487	    340000 ns/op	    320000 cpu-ns/op	      4880 payload-B/op	   53241 B/op	     526 allocs/op
BenchmarkExtract/otelsentry-2         	 1000000	      1400 ns/op	     648 B/op	       9 allocs/op
BenchmarkExtract/otel-w3c-2           	  500000	      4000 ns/op	    7288 B/op	      46 allocs/op
BenchmarkOther-2                      	  100	      55.5 ns/op
PASS
ok  	github.com/otelsentry/otelsentry/benchmarks	12.3s
`

func TestParse(t *testing.T) {
	rep, err := parse(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	if rep.procs != "2" {
		t.Errorf("procs = %q, want 2", rep.procs)
	}
	var names []string
	for _, g := range rep.groups {
		names = append(names, g.name)
	}
	if got, want := strings.Join(names, ","), "Processor,Extract,Other"; got != want {
		t.Errorf("groups = %s, want %s", got, want)
	}
	tests := []struct {
		name, group, variant, unit string
		want                       float64
	}{
		{"odd count median", "Extract", "otel-w3c", "ns/op", 4000},
		{"even count median is the mean of the middle two", "Extract", "otelsentry", "ns/op", 1200},
		{"custom metric", "Processor", "otelsentry", "cpu-ns/op", 370000},
		{"version dots kept in the variant", "Processor", "sentry-go-otel-v0.46.2", "payload-B/op", 4880},
		{"benchmark without sub-benchmarks", "Other", "", "ns/op", 55.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := rep.byName[tt.group]
			if g == nil {
				t.Fatalf("no group %q", tt.group)
			}
			got, ok := g.metric(tt.variant, tt.unit)
			if !ok || got != tt.want {
				t.Errorf("metric(%q, %q) = %v, %v; want %v", tt.variant, tt.unit, got, ok, tt.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	var out bytes.Buffer
	if err := run(nil, strings.NewReader(sampleOutput), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	wants := []string{
		"goos: linux · goarch: amd64 · cpu: Intel(R) Xeon(R) Processor · GOMAXPROCS: 2",
		"| variant | ns/op | B/op | allocs/op | ns/op ÷ otel-w3c |",
		"| otelsentry | 1,200 | 648 | 9 | 0.30× |",
		"| variant | ns/op | req-cpu-ns/op | cpu-ns/op | payload-B/op | B/op | allocs/op | ns/op ÷ bare-sdk | cpu-ns/op ÷ sentry-go-otel-v0.46.2 |",
		"| bare-sdk | 29,000 | — | 26,000 | — | 9,112 | 66 | 1.00× | 0.08× |",
		"| otelsentry | 105,000 | 40,000 | 370,000 | 6,226 | 52,637 | 463 | 3.62× | 1.19× |",
		"| variant | ns/op |\n",
		"|  | 55.5 |",
		"## Notes",
	}
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// Extract comes before Processor whatever the order of the input.
	if strings.Index(got, "## Extract") > strings.Index(got, "## Processor") {
		t.Errorf("Extract is printed after Processor:\n%s", got)
	}
}

func TestRunRejectsInputWithoutResults(t *testing.T) {
	bad := map[string]string{
		"empty":         "",
		"only config":   "goos: linux\nPASS\n",
		"broken result": "BenchmarkX-2 many 12 ns/op\n",
	}
	for name, in := range bad {
		t.Run(name, func(t *testing.T) {
			if err := run(nil, strings.NewReader(in), new(bytes.Buffer)); err == nil {
				t.Errorf("run accepted %q", in)
			}
		})
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{9, "9"},
		{55.54, "55.5"},
		{999, "999"},
		{1000, "1,000"},
		{1234567.4, "1,234,567"},
		{-1234, "-1,234"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.in); got != tt.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
