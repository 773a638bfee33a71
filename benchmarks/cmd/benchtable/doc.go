// Command benchtable turns the output of the benchmarks module's go test
// -bench run into Markdown: one table per benchmark group, with each
// variant's median ns/op, req-cpu-ns/op, cpu-ns/op and payload-B/op where
// reported, B/op, allocs/op, and its ratio to the group's anchor, followed
// by notes on what the columns measure.
//
// Usage:
//
//	benchtable [results.txt]
//
// It reads standard input without an argument. The anchors are fixed:
// otel-w3c for BenchmarkExtract and BenchmarkInject; bare-sdk for the time
// and sentry-go-otel-v0.46.2 for the CPU of BenchmarkProcessor;
// parentbased-traceidratio for BenchmarkShouldSample. Groups of other
// benchmarks are printed without ratios.
package main
