package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// anchor names the variants a group's ratios are taken against.
type anchor struct {
	time string // ns/op ÷ this variant's ns/op
	cpu  string // cpu-ns/op ÷ this variant's cpu-ns/op; none if empty
}

// groupOrder is the order in which groups are printed, by top-level name;
// groups of other benchmarks follow in the order of the input.
var groupOrder = []string{"Extract", "Inject", "ShouldSample", "Processor", "Encode"}

// anchors are keyed by the benchmark's top-level name, without "Benchmark".
var anchors = map[string]anchor{
	"Extract":      {time: "otel-w3c"},
	"Inject":       {time: "otel-w3c"},
	"Processor":    {time: "bare-sdk", cpu: "sentry-go-otel-v0.46.2"},
	"Encode":       {time: "sentry-go-otel-v0.46.2"},
	"ShouldSample": {time: "parentbased-traceidratio"},
}

// descriptions say what a group measures, keyed by group.
var descriptions = map[string]string{
	"Extract": "Propagator Extract of the frontend's request: `sentry-trace` (or `traceparent` for otel-w3c) " +
		"and a baggage header with a 9-member Sentry DSC and 2 members of other vendors.",
	"Inject": "Propagator Inject from the extracted context with a local client span active, " +
		"into a fresh `propagation.HeaderCarrier`.",
	"Processor": "One 9-span request: a SERVER span `POST /reset-password`, 5 PostgreSQL queries, " +
		"2 HTTP client calls and 1 RabbitMQ publish, all sampled.",
	"Encode": "sentry-go's `json.Marshal` of the Processor request's transaction event, as each variant " +
		"hands it to the transport. otelsentry-without-data is the same event with no `data` on its spans " +
		"and trace context and no `otel` context: what any mapping of these 9 spans leaves to encode.",
	"ShouldSample/new-trace":     "Sampler, the server span of a request without a trace (1024 random trace ids, rate 0.25).",
	"ShouldSample/remote-parent": "Sampler, the server span under the frontend's sampled span, after each variant's Extract.",
	"ShouldSample/local-parent":  "Sampler, a database span under the sampled local server span.",
}

// notes explain the columns, printed after the tables.
const notes = `## Notes

- Each figure is the median of the runs of ` + "`go test -bench`" + `; ratios are taken
  between medians. run.sh runs every benchmark once per round, so the runs
  of the variants compared interleave in time. GOMAXPROCS and the CPU are
  those above.
- **ns/op** is the time on the benchmark goroutine; **B/op** and
  **allocs/op** come from Go's allocation counters.
- Without propagation.Baggage in front of it, otelsentry's Inject writes only
  the sentry- members of baggage; otel-w3c and sentry-go-otel also pass the
  2 members of other vendors on.
- The span processors are measured in ../wire, where every path delivers
  over HTTP to a receiver in another process at a paced rate.
`

// procsSuffix is the GOMAXPROCS suffix go test adds to benchmark names.
var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// configLine matches a configuration line of the benchmark format.
var configLine = regexp.MustCompile(`^([a-z][A-Za-z0-9_.-]*): (.+)$`)

// group holds the results of one benchmark group, by variant and unit.
type group struct {
	name     string
	variants []string
	values   map[string]map[string][]float64
}

// report is a parsed go test -bench output.
type report struct {
	config   [][2]string // configuration lines, first value of each key
	procs    string      // GOMAXPROCS suffix of the names, if any
	groups   []*group
	byName   map[string]*group
	warnings []string
}

func parse(r io.Reader) (*report, error) {
	rep := &report{byName: make(map[string]*group)}
	seen := make(map[string]bool)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := configLine.FindStringSubmatch(line); m != nil {
			if !seen[m[1]] {
				seen[m[1]] = true
				rep.config = append(rep.config, [2]string{m[1], m[2]})
			}
			continue
		}
		if strings.HasPrefix(line, "Benchmark") {
			if err := rep.addResult(line); err != nil {
				rep.warnings = append(rep.warnings, err.Error())
			}
		}
	}
	return rep, sc.Err()
}

// addResult records one result line such as
// "BenchmarkExtract/otelsentry-2  1000  1234 ns/op  648 B/op  9 allocs/op".
func (rep *report) addResult(line string) error {
	fields := strings.Fields(line)
	if len(fields) < 4 || len(fields)%2 != 0 {
		return fmt.Errorf("skipped %q: not a result line", line)
	}
	if _, err := strconv.Atoi(fields[1]); err != nil {
		return fmt.Errorf("skipped %q: no iteration count", line)
	}
	name := strings.TrimPrefix(fields[0], "Benchmark")
	if m := procsSuffix.FindStringSubmatch(name); m != nil {
		rep.procs = m[1]
		name = name[:len(name)-len(m[0])]
	}
	groupName, variant := name, ""
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		groupName, variant = name[:i], name[i+1:]
	}
	g := rep.byName[groupName]
	if g == nil {
		g = &group{name: groupName, values: make(map[string]map[string][]float64)}
		rep.byName[groupName] = g
		rep.groups = append(rep.groups, g)
	}
	vals := g.values[variant]
	if vals == nil {
		vals = make(map[string][]float64)
		g.values[variant] = vals
		g.variants = append(g.variants, variant)
	}
	for i := 2; i < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return fmt.Errorf("skipped a value of %q: %v", line, err)
		}
		vals[fields[i+1]] = append(vals[fields[i+1]], v)
	}
	return nil
}

// median returns the median of vs, and false when vs is empty.
func median(vs []float64) (float64, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// metric returns the median of unit for variant of g.
func (g *group) metric(variant, unit string) (float64, bool) {
	return median(g.values[variant][unit])
}

// has reports whether some variant of g reported unit.
func (g *group) has(unit string) bool {
	for _, v := range g.variants {
		if len(g.values[v][unit]) > 0 {
			return true
		}
	}
	return false
}

// runs returns the fewest and most runs of ns/op among g's variants.
func (g *group) runs() (lo, hi int) {
	lo = math.MaxInt
	for _, v := range g.variants {
		n := len(g.values[v]["ns/op"])
		lo, hi = min(lo, n), max(hi, n)
	}
	return lo, hi
}

// column is one column of a group's table.
type column struct {
	title string
	cell  func(variant string) string
}

func (rep *report) columns(g *group) []column {
	cols := []column{{title: "variant", cell: func(v string) string { return v }}}
	for _, unit := range []string{"ns/op", "req-cpu-ns/op", "cpu-ns/op", "payload-B/op", "B/op", "allocs/op"} {
		if !g.has(unit) {
			continue
		}
		cols = append(cols, column{title: unit, cell: func(v string) string {
			x, ok := g.metric(v, unit)
			if !ok {
				return "—"
			}
			return formatNumber(x)
		}})
	}
	top, _, _ := strings.Cut(g.name, "/")
	a := anchors[top]
	if a.time != "" {
		cols = append(cols, ratioColumn(g, "ns/op", a.time))
	}
	if a.cpu != "" && g.has("cpu-ns/op") {
		cols = append(cols, ratioColumn(g, "cpu-ns/op", a.cpu))
	}
	return cols
}

// ratioColumn divides each variant's unit by the anchor's.
func ratioColumn(g *group, unit, anchorVariant string) column {
	base, ok := g.metric(anchorVariant, unit)
	return column{
		title: unit + " ÷ " + anchorVariant,
		cell: func(v string) string {
			x, has := g.metric(v, unit)
			if !ok || !has || base == 0 {
				return "—"
			}
			return fmt.Sprintf("%.2f×", x/base)
		},
	}
}

// formatNumber prints x with thousands separators, keeping one decimal
// below 100.
func formatNumber(x float64) string {
	if math.Abs(x) < 100 && x != math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (rep *report) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# Benchmarks: otelsentry and its anchors")
	fmt.Fprintln(bw)
	var env []string
	for _, kv := range rep.config {
		if kv[0] != "pkg" {
			env = append(env, kv[0]+": "+kv[1])
		}
	}
	if rep.procs != "" {
		env = append(env, "GOMAXPROCS: "+rep.procs)
	}
	if len(env) > 0 {
		fmt.Fprintln(bw, strings.Join(env, " · "))
		fmt.Fprintln(bw)
	}
	for _, g := range rep.ordered() {
		rep.writeGroup(bw, g)
	}
	fmt.Fprint(bw, notes)
	return bw.Flush()
}

// ordered returns the groups in groupOrder, stably.
func (rep *report) ordered() []*group {
	rank := func(g *group) int {
		top, _, _ := strings.Cut(g.name, "/")
		if i := slices.Index(groupOrder, top); i >= 0 {
			return i
		}
		return len(groupOrder)
	}
	gs := slices.Clone(rep.groups)
	slices.SortStableFunc(gs, func(a, b *group) int { return rank(a) - rank(b) })
	return gs
}

func (rep *report) writeGroup(w io.Writer, g *group) {
	fmt.Fprintf(w, "## %s\n\n", g.name)
	if d := descriptions[g.name]; d != "" {
		fmt.Fprintf(w, "%s ", d)
	}
	switch lo, hi := g.runs(); {
	case hi == 1:
		fmt.Fprint(w, "One run.\n\n")
	case lo == hi:
		fmt.Fprintf(w, "Medians of %d runs.\n\n", hi)
	default:
		fmt.Fprintf(w, "Medians of %d to %d runs.\n\n", lo, hi)
	}
	cols := rep.columns(g)
	titles := make([]string, len(cols))
	aligns := make([]string, len(cols))
	for i, c := range cols {
		titles[i], aligns[i] = c.title, "--:"
	}
	aligns[0] = "---"
	fmt.Fprintf(w, "| %s |\n|%s|\n", strings.Join(titles, " | "), strings.Join(aligns, "|"))
	for _, v := range g.variants {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = c.cell(v)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	in := stdin
	switch len(args) {
	case 0:
	case 1:
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	default:
		return fmt.Errorf("usage: benchtable [results.txt]")
	}
	rep, err := parse(in)
	if err != nil {
		return err
	}
	for _, warning := range rep.warnings {
		fmt.Fprintf(os.Stderr, "benchtable: %s\n", warning)
	}
	if len(rep.groups) == 0 {
		return fmt.Errorf("no benchmark results in the input")
	}
	return rep.write(stdout)
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		os.Exit(1)
	}
}
