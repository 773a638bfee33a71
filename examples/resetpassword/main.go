package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	var cfg config
	flag.BoolVar(&cfg.keep, "keep", false, "keep the system running after the report, until interrupted")
	flag.StringVar(&cfg.htmlPath, "html", "resetpassword-trace.html", "where to write the HTML waterfall")
	flag.StringVar(&cfg.screenshot, "screenshot", "", "where to save a screenshot of the HTML waterfall (PNG), if set")
	flag.StringVar(&cfg.email, "email", "ada@example.com", "the address the browser submits")
	flag.Parse()
	cfg.fromEnv()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, err := run(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "resetpassword: %v\n", err)
		os.Exit(1)
	}
	if problems := out.verify(); len(problems) > 0 {
		fmt.Println("\nVerdict: the trace is not what it should be:")
		for _, p := range problems {
			fmt.Println("  -", p)
		}
		os.Exit(1)
	}
	fmt.Println("\nVerdict: one trace from the browser's click through the API to the mailer.")
}
