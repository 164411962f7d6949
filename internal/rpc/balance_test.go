package rpc

import (
	"context"
	"testing"

	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
)

// seqPicker answers its instances in turn.
type seqPicker struct {
	ins []discovery.Instance
	n   int
}

func (p *seqPicker) Next(context.Context, any) discovery.Instance {
	in := p.ins[p.n%len(p.ins)]
	p.n++
	return in
}

// A retry is not sent back to the instance whose connection failed while
// another can be picked; a first attempt is left to the balancer.
func TestRetryAvoidsPreviousInstance(t *testing.T) {
	dead, live := discovery.NewInstance("tcp", "10.0.0.1:9104", 10, nil), discovery.NewInstance("tcp", "10.0.0.2:9104", 10, nil)
	ctxWith := func(tags map[string]string) context.Context {
		to := rpcinfo.NewEndpointInfo("favorite", "Action", nil, tags)
		return rpcinfo.NewCtxWithRPCInfo(context.Background(), rpcinfo.NewRPCInfo(nil, to, nil, nil, nil))
	}
	retry := ctxWith(map[string]string{rpcinfo.RetryPrevInstTag: dead.Address().String()})
	p := avoidPreviousPicker{&seqPicker{ins: []discovery.Instance{dead, dead, live}}}
	if in := p.Next(retry, nil); in != live {
		t.Fatalf("the retry went to %v", in.Address())
	}
	first := avoidPreviousPicker{&seqPicker{ins: []discovery.Instance{dead, live}}}
	if in := first.Next(ctxWith(nil), nil); in != dead {
		t.Fatalf("a first attempt was steered: %v", in.Address())
	}
	// Only the previous instance left (one instance, restarted): it is picked.
	only := avoidPreviousPicker{&seqPicker{ins: []discovery.Instance{dead}}}
	if in := only.Next(retry, nil); in != dead {
		t.Fatalf("no instance: %v", in)
	}
	// Through the real balancer: of two instances, a retry always picks the
	// other.
	b := newBalancer()
	res := discovery.Result{Cacheable: true, CacheKey: "favorite-test", Instances: []discovery.Instance{dead, live}}
	for i := 0; i < 200; i++ {
		if in := b.GetPicker(res).Next(retry, nil); in.Address().String() != live.Address().String() {
			t.Fatalf("try %d: the retry went to %v", i, in.Address())
		}
	}
}
