// Command wiretable reads the output of the wire benchmarks (go test -bench
// 'Request_' in benchmarks/wire, several rounds) and prints the medians of
// each path as a Markdown table, with the ratios the performance goals use:
// CPU and request-goroutine time against the protocol's floor.
//
//	go run ./cmd/wiretable wire-results.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// paths lists the benchmarks in the table's order, with their labels.
var paths = [][2]string{
	{"Request_Bare", "bare SDK, no processor"},
	{"Request_Noop", "a processor that does nothing"},
	{"Request_Floor", "floor: a ready-made envelope posted per transaction"},
	{"Request_OTLP", "sentry-go/otel/otlp v0.49.0 behind the batch processor"},
	{"Request_SentryOtel0462", "sentry-go/otel v0.46.2"},
	{"Request_Otelsentry", "**otelsentry**"},
	{"Request_OtelsentryExact", "otelsentry through sentry-go (a client with BeforeSendTransaction)"},
}

var suffix = regexp.MustCompile(`-\d+$`)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: wiretable RESULTS")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	vals := map[string]map[string][]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := suffix.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), "")
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			if vals[name] == nil {
				vals[name] = map[string][]float64{}
			}
			vals[name][fields[i+1]] = append(vals[name][fields[i+1]], v)
		}
	}
	med := func(name, metric string) (float64, bool) {
		v := slices.Clone(vals[name][metric])
		if len(v) == 0 {
			return 0, false
		}
		slices.Sort(v)
		return v[len(v)/2], true
	}
	floorCPU, _ := med("Request_Floor", "cpu-ns/req")
	floorPath, _ := med("Request_Floor", "path-ns/req")
	rounds := len(vals["Request_Floor"]["cpu-ns/req"])
	fmt.Printf("Medians of %d rounds; ratios against the floor.\n\n", rounds)
	fmt.Println("| path | CPU per request | vs floor | time on the request goroutine | vs floor | delivered | payload per request |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, p := range paths {
		cpu, ok := med(p[0], "cpu-ns/req")
		if !ok {
			continue
		}
		path, _ := med(p[0], "path-ns/req")
		row := fmt.Sprintf("| %s | %.0f µs | %s | %.1f µs | %s |", p[1], cpu/1e3, ratio(cpu, floorCPU), path/1e3, ratio(path, floorPath))
		if d, ok := worst(vals[p[0]]["delivered/req"]); ok {
			row += fmt.Sprintf(" %.1f%% | ", 100*d)
		} else {
			row += " — | "
		}
		if b, ok := med(p[0], "payload-B/req"); ok {
			row += fmt.Sprintf("%.0f B |", b)
		} else {
			row += "— |"
		}
		fmt.Println(row)
	}
	// The spread of the bar's ratio, each round's otelsentry against the
	// same round's floor.
	fc, oc := vals["Request_Floor"]["cpu-ns/req"], vals["Request_Otelsentry"]["cpu-ns/req"]
	if n := min(len(fc), len(oc)); n > 0 {
		r := make([]float64, n)
		for i := range n {
			r[i] = oc[i] / fc[i]
		}
		slices.Sort(r)
		fmt.Printf("\notelsentry's CPU per request against the floor's, round by round: %.2fx to %.2fx, median %.2fx.\n", r[0], r[n-1], r[n/2])
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// worst returns the lowest delivered fraction of the rounds.
func worst(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	return slices.Min(v), true
}
