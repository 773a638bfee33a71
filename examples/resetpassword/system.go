package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// config is the demo's settings.
type config struct {
	keep       bool
	htmlPath   string
	screenshot string
	email      string

	amqpURL      string
	realDSN      string // SENTRY_DSN: where the services' envelopes also go
	realWebDSN   string // SENTRY_DSN_WEB: where the page's also go
	examplesDir  string // the examples module
	chromiumPath string
}

func (c *config) fromEnv() {
	c.amqpURL = os.Getenv("OTELSENTRY_AMQP_URL")
	if c.amqpURL == "" {
		c.amqpURL = "amqp://guest:guest@127.0.0.1:5672/"
	}
	c.realDSN = os.Getenv("SENTRY_DSN")
	c.realWebDSN = os.Getenv("SENTRY_DSN_WEB")
	c.chromiumPath = os.Getenv("CHROMIUM")
	if c.examplesDir == "" {
		c.examplesDir = "."
	}
}

// webProject is the loopback Sentry project of the page; the services use
// fakesentry.ProjectID.
const webProject = "43"

// outcome is what the demo saw.
type outcome struct {
	status    string // what the page showed after submitting
	envelopes []fakesentry.Envelope
}

// run starts the system, has the browser submit the form, stops the
// services and reports to w.
func run(ctx context.Context, cfg config, w io.Writer) (*outcome, error) {
	tmp, err := os.MkdirTemp("", "resetpassword-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	sink, err := fakesentry.Start()
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	recv, err := newReceiver(sink, cfg.realDSN, cfg.realWebDSN)
	if err != nil {
		return nil, err
	}
	defer recv.close()

	fmt.Fprintln(w, "Building the API and the mailer…")
	bins := map[string]string{}
	for _, name := range []string{"api", "mailer"} {
		bins[name] = filepath.Join(tmp, name)
		build := exec.CommandContext(ctx, "go", "build", "-o", bins[name], "./resetpassword/"+name)
		build.Dir = cfg.examplesDir
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %v\n%s", name, err, out)
		}
	}

	webAddr, apiAddr := freeAddr(), freeAddr()
	webOrigin, apiOrigin := "http://"+webAddr, "http://"+apiAddr
	queue := "password-reset-demo"
	svcEnv := []string{
		"SENTRY_DSN=" + recv.dsn(fakesentry.ProjectID, cfg.realDSN),
		"OTELSENTRY_AMQP_URL=" + cfg.amqpURL,
		"RESET_QUEUE=" + queue,
	}
	api, err := startService(ctx, "api", bins["api"], append(svcEnv, "API_ADDR="+apiAddr, "WEB_ORIGIN="+webOrigin), "listening")
	if err != nil {
		return nil, err
	}
	defer api.stop()
	mailer, err := startService(ctx, "mailer", bins["mailer"], svcEnv, "consuming")
	if err != nil {
		return nil, err
	}
	defer mailer.stop()

	page, err := servePage(webAddr, filepath.Join(cfg.examplesDir, "resetpassword", "web"), pageConfig{
		DSN: recv.dsn(webProject, cfg.realWebDSN), APIOrigin: apiOrigin, Release: "web@1.0.0", Environment: "demo",
	})
	if err != nil {
		return nil, err
	}
	defer page.Close()

	fmt.Fprintf(w, "The page is %s; chromium submits %s…\n", webOrigin, cfg.email)
	status, err := drive(ctx, cfg, "submit", webOrigin+"/", cfg.email)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "The page says: %s\n", status)
	out := &outcome{status: status}

	// The browser's transaction, the API's and the mailer's.
	deadline := time.Now().Add(15 * time.Second)
	for !out.complete(sink.Envelopes()) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if cfg.keep {
		fmt.Fprintf(w, "\nEverything keeps running: open %s in a browser. Ctrl-C stops it.\n", webOrigin)
		<-ctx.Done()
	}
	api.stop()
	mailer.stop()
	out.envelopes = sink.Envelopes()
	if os.Getenv("RESETPASSWORD_DEBUG") != "" {
		for _, e := range out.envelopes {
			for _, it := range e.Items {
				fmt.Fprintf(w, "envelope item %s: %.300s\n", it.Header.Type, it.Payload)
			}
		}
	}
	if err := sink.Err(); err != nil {
		fmt.Fprintf(w, "The loopback Sentry refused some requests: %v\n", err)
	}

	tr := out.trace()
	tr.writeText(w)
	if err := os.WriteFile(cfg.htmlPath, tr.html(), 0o644); err != nil {
		return out, err
	}
	abs, _ := filepath.Abs(cfg.htmlPath)
	fmt.Fprintf(w, "\nThe waterfall, with each span's data on click: %s\n", abs)
	if cfg.screenshot != "" {
		if _, err := drive(ctx, cfg, "screenshot", abs, cfg.screenshot); err != nil {
			return out, err
		}
		fmt.Fprintf(w, "Its screenshot: %s\n", cfg.screenshot)
	}
	if recv.forwarding() {
		fmt.Fprintf(w, "Sent on to your Sentry: %d envelopes (%d failed).\n", recv.forwarded(), recv.failed())
	}
	return out, nil
}

// freeAddr returns a free loopback address.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}

// service is a child process of the demo.
type service struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// startService starts a service and waits until its log says ready.
func startService(ctx context.Context, name, bin string, env []string, ready string) (*service, error) {
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = os.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &service{name: name, cmd: cmd, done: make(chan struct{})}
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		var once sync.Once
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintf(os.Stderr, "  [%s] %s\n", name, line)
			if strings.Contains(line, ready) {
				once.Do(func() { close(up) })
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()
	select {
	case <-up:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("%s exited before it was ready", name)
	case <-time.After(20 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s was not ready within 20 s", name)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// stop asks the service to shut down, which flushes its telemetry, and
// waits for it.
func (s *service) stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// pageConfig is what the page reads from config.js.
type pageConfig struct {
	DSN         string `json:"dsn"`
	APIOrigin   string `json:"apiOrigin"`
	Release     string `json:"release"`
	Environment string `json:"environment"`
}

// servePage serves the page: index.html and the bundle from dir/dist, and
// config.js.
func servePage(addr, dir string, pc pageConfig) (*http.Server, error) {
	if _, err := os.Stat(filepath.Join(dir, "dist", "app.js")); err != nil {
		return nil, fmt.Errorf("the page is not built (cd %s && npm ci && npm run build): %w", dir, err)
	}
	cfgJS := fmt.Sprintf("window.RESETPASSWORD_CONFIG = {dsn: %q, apiOrigin: %q, release: %q, environment: %q};\n",
		pc.DSN, pc.APIOrigin, pc.Release, pc.Environment)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = io.WriteString(w, cfgJS)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(dir, "index.html"))
	})
	mux.Handle("GET /", http.FileServer(http.Dir(filepath.Join(dir, "dist"))))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, nil
}

// drive runs web/drive.mjs with node.
func drive(ctx context.Context, cfg config, args ...string) (string, error) {
	dir := filepath.Join(cfg.examplesDir, "resetpassword", "web")
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"drive.mjs"}, args...)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	if cfg.chromiumPath != "" {
		cmd.Env = append(cmd.Env, "CHROMIUM="+cfg.chromiumPath)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("node drive.mjs %s: %v\n%s", args[0], err, errb.String())
	}
	if os.Getenv("RESETPASSWORD_DEBUG") != "" {
		fmt.Fprint(os.Stderr, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// receiver is the loopback Sentry the services and the page send to. It
// hands each envelope to the fakesentry sink and, for a project with a real
// DSN, sends it on there unchanged: the loopback DSN then has the real
// DSN's key and project.
type receiver struct {
	sink *fakesentry.Server
	srv  *http.Server
	addr string
	real map[string]*url.URL // loopback project -> the real envelope URL

	mu            sync.Mutex
	sent, failing int
}

func newReceiver(sink *fakesentry.Server, realDSN, realWebDSN string) (*receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{sink: sink, addr: l.Addr().String(), real: map[string]*url.URL{}}
	for project, dsn := range map[string]string{fakesentry.ProjectID: realDSN, webProject: realWebDSN} {
		if dsn == "" {
			continue
		}
		u, err := url.Parse(dsn)
		if err != nil || u.User == nil {
			return nil, fmt.Errorf("malformed DSN %q", dsn)
		}
		realProject := strings.Trim(u.Path, "/")
		r.real[project] = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/api/" + realProject + "/envelope/"}
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// dsn returns the loopback DSN of a project: the real DSN's key and project
// when there is one, so that what is sent on is accepted there.
func (r *receiver) dsn(project, realDSN string) string {
	if realDSN != "" {
		if u, err := url.Parse(realDSN); err == nil && u.User != nil {
			return "http://" + u.User.Username() + "@" + r.addr + "/" + project
		}
	}
	return "http://" + fakesentry.PublicKey + "@" + r.addr + "/" + project
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 20<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if target := r.real[projectOf(req.URL.Path)]; target != nil && req.Method == http.MethodPost {
		go r.forward(target, req.Header.Clone(), req.URL.RawQuery, body)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.sink.ServeHTTP(w, req)
}

// projectOf returns the project of an envelope path /api/PROJECT/envelope/.
func projectOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 3 && parts[0] == "api" {
		return parts[1]
	}
	return ""
}

func (r *receiver) forward(target *url.URL, h http.Header, query string, body []byte) {
	u := *target
	u.RawQuery = query
	req, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	ok := false
	if err == nil {
		for _, k := range []string{"Content-Type", "X-Sentry-Auth", "User-Agent", "Content-Encoding"} {
			if v := h.Get(k); v != "" {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			ok = resp.StatusCode/100 == 2
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.sent++
	} else {
		r.failing++
	}
}

func (r *receiver) forwarding() bool { return len(r.real) > 0 }

func (r *receiver) forwarded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent
}

func (r *receiver) failed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failing
}

func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return
	}
}
