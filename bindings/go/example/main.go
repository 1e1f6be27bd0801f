// Command example blocks the users given as arguments and prints what happened to each, then
// walks the blocklist. The client comes from the environment (WABLOCK_PHONE_NUMBER_ID,
// WABLOCK_ACCESS_TOKEN, WABLOCK_BASE_URL, …).
//
//	go run ./example "+1 (650) 555-1234" 447700900123
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	wablock "github.com/wablock/wablock/bindings/go"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(users []string) int {
	// Ctrl-C cancels the context: the call stops before its next batch and reports what it did.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	client, err := wablock.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		return 2
	}
	defer client.Close()

	outcome, err := client.Block(ctx, users)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "interrupted:", err)
		return 130
	case errors.Is(err, wablock.ErrAuth):
		fmt.Fprintln(os.Stderr, "the access token was refused:", err)
		return 2
	case err != nil:
		fmt.Fprintln(os.Stderr, "block:", err)
		return 2
	}
	for _, s := range outcome.Succeeded {
		fmt.Printf("blocked     %-20s sent as %s\n", s.Input, s.Sent)
	}
	for _, f := range outcome.Failed {
		fmt.Printf("not blocked %-20s %s: %s\n", f.Input, f.Reason, f.Hint)
	}

	n := 0
	for _, err := range client.BlockedUsers(ctx) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "listing:", err)
			return 2
		}
		n++
	}
	fmt.Printf("the blocklist holds %d users\n", n)
	if len(outcome.Failed) > 0 {
		return 1
	}
	return 0
}
