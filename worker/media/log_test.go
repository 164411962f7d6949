package media

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"tiktok/internal/logx"
	ppb "tiktok/kitex_gen/publish"
)

// "video ready" is logged once per video, by the publish service, which
// makes it ready (service/publish's TestReadyLoggedOnce): the worker adds no
// second line.
func TestWorkerLeavesVideoReadyToPublish(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	previous := logx.Set(zap.New(core))
	t.Cleanup(func() { logx.Set(previous) })
	r := newRig(t)
	r.start(t)
	id, _ := r.publish(t, sample(t, 320, 240))
	r.waitFor(t, id, ppb.VideoState_READY)
	r.objects(t) // until the job is acknowledged, after every line of it
	if n := logs.FilterMessage("video ready").Len(); n != 0 {
		t.Fatalf("the worker logged \"video ready\" %d times", n)
	}
}
