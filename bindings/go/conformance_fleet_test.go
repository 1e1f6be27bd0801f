package wablock_test

import (
	"context"
	"testing"

	wablock "github.com/wablock/wablock/bindings/go"
)

// runFleetOp runs a fleet vector (tests/conformance/README.md, "Fleet vectors"): each member's
// client is the vector's client with the member's keys laid over it.
func runFleetOp(t *testing.T, v vector) string {
	var members []wablock.FleetMember
	for _, m := range v.Fleet {
		spec := map[string]any{}
		for k, x := range v.Client {
			spec[k] = x
		}
		own, _ := m["client"].(map[string]any)
		for k, x := range own {
			spec[k] = x
		}
		client, err := vectorClient(spec)
		if err != nil {
			return errorJSON(t, err)
		}
		defer client.Close()
		members = append(members, wablock.FleetMember{Label: str(m, "label", ""), Client: client})
	}
	var opts []wablock.FleetOption
	if v.TotalParallelism != nil {
		opts = append(opts, wablock.WithTotalParallelism(int(*v.TotalParallelism)))
	}
	fleet, err := wablock.NewFleet(members, opts...)
	if err != nil {
		return errorJSON(t, err)
	}
	ctx := context.Background()
	op := v.Operation
	switch name := str(op, "op", ""); name {
	case "fleet_block", "fleet_unblock":
		var users []string
		for _, u := range op["users"].([]any) {
			users = append(users, u.(string))
		}
		var r *wablock.FleetResults
		if name == "fleet_block" {
			r, err = fleet.Block(ctx, users)
		} else {
			r, err = fleet.Unblock(ctx, users)
		}
		if err != nil {
			return errorJSON(t, err)
		}
		return r.CanonicalJSON()
	case "fleet_is_blocked":
		a, err := fleet.IsBlocked(ctx, str(op, "user", ""))
		if err != nil {
			return errorJSON(t, err)
		}
		return a.CanonicalJSON()
	case "fleet_blocked_users":
		b, err := fleet.BlockedUsers(ctx, listOpts(op, "page_size")...)
		if err != nil {
			return errorJSON(t, err)
		}
		return b.CanonicalJSON()
	default:
		t.Fatalf("unknown fleet op %q", name)
		return ""
	}
}
