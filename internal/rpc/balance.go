package rpc

import (
	"context"

	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/loadbalance"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
)

// avoidPrevious is every client's balancer: Kitex's default (weighted
// round robin), except that a retry (retry.go) is not sent back to the instance
// whose connection just failed. Kitex marks the retry with that instance's
// address (RetryPrevInstTag) but its balancers do not look: with two
// instances and one of them killed, half of the retries went to the dead one
// until its etcd lease ran out. Only when no other instance is picked in a
// few tries does the retry go there again (a single instance, restarted).
type avoidPrevious struct {
	inner interface {
		loadbalance.Loadbalancer
		loadbalance.Rebalancer
	}
}

func newBalancer() loadbalance.Loadbalancer {
	return avoidPrevious{inner: loadbalance.NewWeightedBalancer().(interface {
		loadbalance.Loadbalancer
		loadbalance.Rebalancer
	})}
}

func (b avoidPrevious) GetPicker(r discovery.Result) loadbalance.Picker {
	return avoidPreviousPicker{b.inner.GetPicker(r)}
}

func (b avoidPrevious) Name() string { return b.inner.Name() + "_avoid_previous" }

// Rebalance and Delete keep the inner balancer's cached pickers current
// (Kitex's lbcache calls them on discovery changes).
func (b avoidPrevious) Rebalance(c discovery.Change) { b.inner.Rebalance(c) }
func (b avoidPrevious) Delete(c discovery.Change)    { b.inner.Delete(c) }

type avoidPreviousPicker struct{ loadbalance.Picker }

// pickAgain bounds the picks that avoid the previous instance.
const pickAgain = 4

func (p avoidPreviousPicker) Next(ctx context.Context, req any) discovery.Instance {
	in := p.Picker.Next(ctx, req)
	ri := rpcinfo.GetRPCInfo(ctx)
	if in == nil || ri == nil || ri.To() == nil {
		return in
	}
	prev, ok := ri.To().Tag(rpcinfo.RetryPrevInstTag)
	if !ok || prev == "" {
		return in
	}
	for i := 0; i < pickAgain && in != nil && in.Address().String() == prev; i++ {
		in = p.Picker.Next(ctx, req)
	}
	return in
}
