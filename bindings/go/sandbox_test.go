package wablock_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bg is the context of the tests whose subject is not cancellation.
var bg = context.Background()

// The sandbox binary, shared by every test of the package (started in TestMain).
var sandboxURL string

func repoRoot() string {
	dir, _ := os.Getwd()
	return filepath.Join(dir, "..", "..")
}

func TestMain(m *testing.M) {
	bin := os.Getenv("WABLOCK_SANDBOX_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot(), "target", "debug", "wablock-sandbox")
	}
	cmd := exec.Command(bin, "--port", "0", "--exit-on-stdin-eof")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the sandbox %s (make go-test builds it): %v\n", bin, err)
		os.Exit(1)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		fmt.Fprintf(os.Stderr, "sandbox did not print its URL: %q %v\n", line, err)
		os.Exit(1)
	}
	sandboxURL = strings.TrimSpace(line)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	code := m.Run()
	stdin.Close()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
	}
	os.Exit(code)
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// control sends one request to the sandbox and returns its status and body.
func control(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, sandboxURL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

func mustControl(t testing.TB, method, path string, body any) []byte {
	t.Helper()
	status, data := control(t, method, path, body)
	if status < 200 || status > 299 {
		t.Fatalf("%s %s: HTTP %d %s", method, path, status, data)
	}
	return data
}

func reset(t testing.TB) { mustControl(t, "POST", "/_sandbox/reset", map[string]any{}) }

func inbound(t testing.TB, waID string) {
	mustControl(t, "POST", "/_sandbox/inbound", map[string]any{"phone_number_id": "1000", "wa_id": waID})
}

func requestLog(t testing.TB) []map[string]any {
	var log []map[string]any
	if err := json.Unmarshal(mustControl(t, "GET", "/_sandbox/requests", nil), &log); err != nil {
		t.Fatal(err)
	}
	return log
}
