package wablock_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	wablock "github.com/wablock/wablock/bindings/go"
)

// TestConformance runs every vector of tests/conformance/vectors through the Go binding and
// writes each canonical result to build/conformance/go/<name>.json.
func TestConformance(t *testing.T) {
	dir := filepath.Join(repoRoot(), "tests", "conformance", "vectors")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance vectors in %s (%v)", dir, err)
	}
	sort.Strings(files)
	out := filepath.Join(repoRoot(), "build", "conformance", "go")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		runVector(t, f, out)
	}
}

type vector struct {
	Name  string `json:"name"`
	Setup []struct {
		Method string          `json:"method"`
		Path   string          `json:"path"`
		Body   json.RawMessage `json:"body"`
	} `json:"setup"`
	Client           map[string]any   `json:"client"`
	Fleet            []map[string]any `json:"fleet"`
	TotalParallelism *float64         `json:"total_parallelism"`
	Operation        map[string]any   `json:"operation"`
	Expect           struct {
		Result   json.RawMessage  `json:"result"`
		Requests []map[string]any `json:"requests"`
	} `json:"expect"`
}

func runVector(t *testing.T, path, outDir string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Run(v.Name, func(t *testing.T) {
		reset(t)
		for _, s := range v.Setup {
			var body any = map[string]any{}
			if len(s.Body) > 0 {
				body = s.Body
			}
			mustControl(t, s.Method, s.Path, body)
		}
		var result string
		if v.Fleet != nil {
			result = runFleetOp(t, v)
		} else {
			result = runClientOp(t, v.Client, v.Operation)
		}
		// Results are named after the vector's file, as the Rust runner names them.
		if err := os.WriteFile(filepath.Join(outDir, filepath.Base(path)), []byte(result), 0o644); err != nil {
			t.Fatal(err)
		}
		// Byte for byte against the core's canonical form of the expected result.
		want, err := wablock.CanonicalJSONText(string(v.Expect.Result))
		if err != nil || result != want {
			t.Fatalf("result\n got  %s\n want %s (%v)", result, want, err)
		}
		if v.Expect.Requests != nil {
			got := requestLog(t)
			if v.Fleet != nil {
				// Numbers run in parallel: compare each number's requests in their own order.
				sort.SliceStable(got, func(i, j int) bool { return str(got[i], "path", "") < str(got[j], "path", "") })
			}
			if len(got) != len(v.Expect.Requests) {
				t.Fatalf("%d requests, want %d", len(got), len(v.Expect.Requests))
			}
			for i, want := range v.Expect.Requests {
				for k, w := range want {
					if !reflect.DeepEqual(got[i][k], w) {
						t.Errorf("request %d %s is %v, want %v", i, k, got[i][k], w)
					}
				}
			}
		}
	})
}

func str(m map[string]any, key, fallback string) string {
	if s, ok := m[key].(string); ok {
		return s
	}
	return fallback
}

func num(m map[string]any, key string, fallback float64) float64 {
	if n, ok := m[key].(float64); ok {
		return n
	}
	return fallback
}

func ms(n float64) time.Duration { return time.Duration(n) * time.Millisecond }

func vectorClient(c map[string]any) (*wablock.Client, error) {
	retry, _ := c["retry"].(map[string]any)
	jitter, _ := retry["jitter"].(bool)
	opts := []wablock.Option{
		wablock.WithBaseURL(sandboxURL),
		wablock.WithMaxBatch(int(num(c, "max_batch", 1000))),
		wablock.WithParallelism(int(num(c, "parallelism", 1))),
		wablock.WithRetryPolicy(wablock.RetryPolicy{
			MaxAttempts:    uint32(num(retry, "max_attempts", 4)),
			InitialBackoff: ms(num(retry, "initial_backoff_ms", 1)),
			MaxBackoff:     ms(num(retry, "max_backoff_ms", 50)),
			Jitter:         jitter,
		}),
		wablock.WithConnectTimeout(ms(num(c, "connect_timeout_ms", 2000))),
		wablock.WithReadTimeout(ms(num(c, "read_timeout_ms", 2000))),
		wablock.WithListRestartBudget(uint32(num(c, "list_restart_budget", 3))),
		wablock.WithMaxResponseBytes(uint64(num(c, "max_response_bytes", 8388608))),
	}
	if d, ok := c["deadline_ms"].(float64); ok {
		opts = append(opts, wablock.WithDeadline(ms(d)))
	}
	if str(c, "provider", "meta") == "360dialog" {
		return wablock.NewDialog360(str(c, "api_key", "sandbox-key"), opts...)
	}
	opts = append(opts, wablock.WithAPIVersion(str(c, "api_version", "v25.0")))
	return wablock.NewMeta(str(c, "phone_number_id", "1000"), str(c, "access_token", "sandbox-token"), opts...)
}

func errorJSON(t *testing.T, err error) string {
	var e *wablock.Error
	if !errors.As(err, &e) {
		t.Fatalf("not a *wablock.Error: %v", err)
	}
	return e.CanonicalJSON()
}

func listOpts(op map[string]any, limitKey string) []wablock.ListOption {
	var opts []wablock.ListOption
	if n, ok := op[limitKey].(float64); ok {
		opts = append(opts, wablock.WithLimit(int(n)))
	}
	if s, ok := op["after"].(string); ok {
		opts = append(opts, wablock.WithAfter(s))
	}
	if s, ok := op["before"].(string); ok {
		opts = append(opts, wablock.WithBefore(s))
	}
	return opts
}

func runClientOp(t *testing.T, c, op map[string]any) string {
	client, err := vectorClient(c)
	if err != nil {
		return errorJSON(t, err)
	}
	defer client.Close()
	switch name := str(op, "op", ""); name {
	case "block", "unblock":
		var users []string
		for _, u := range op["users"].([]any) {
			users = append(users, u.(string))
		}
		var o *wablock.Outcome
		if name == "block" {
			o, err = client.Block(bg, users)
		} else {
			o, err = client.Unblock(bg, users)
		}
		if err != nil {
			return errorJSON(t, err)
		}
		return o.CanonicalJSON()
	case "list_page":
		p, err := client.ListPage(bg, listOpts(op, "limit")...)
		if err != nil {
			return errorJSON(t, err)
		}
		return p.CanonicalJSON()
	case "blocked_users":
		// The walk's shape, an error that ended it included, is the core's.
		out, err := client.BlockedUsersCanonicalJSON(bg, listOpts(op, "page_size")...)
		if err != nil {
			return errorJSON(t, err)
		}
		return out
	case "is_blocked":
		blocked, err := client.IsBlocked(bg, str(op, "user", ""))
		if err != nil {
			return errorJSON(t, err)
		}
		return wablock.IsBlockedCanonicalJSON(blocked)
	default:
		t.Fatalf("unknown op %q", name)
		return ""
	}
}
