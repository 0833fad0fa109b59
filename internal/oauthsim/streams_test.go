package oauthsim

import (
	"context"
	"testing"
)

func TestStreamFaults(t *testing.T) {
	var f Faults
	ctx1, done1 := f.TrackStream(context.Background())
	ctx2, done2 := f.TrackStream(context.Background())
	if n := f.OpenStreams(); n != 2 {
		t.Fatalf("OpenStreams = %d, want 2", n)
	}
	done2()
	if ctx2.Err() == nil {
		t.Fatal("done did not end the stream's context")
	}
	if n := f.CutStreams(); n != 1 {
		t.Fatalf("CutStreams = %d, want 1", n)
	}
	if ctx1.Err() == nil {
		t.Fatal("CutStreams left a stream running")
	}
	done1() // after a cut, done is harmless
	if n := f.OpenStreams(); n != 0 {
		t.Fatalf("OpenStreams after cut = %d", n)
	}
	if f.StreamsStalled() {
		t.Fatal("stalled before StallStreams")
	}
	f.StallStreams(true)
	if !f.StreamsStalled() {
		t.Fatal("StallStreams(true) did not stall")
	}
	f.StallStreams(false)
	if f.StreamsStalled() {
		t.Fatal("StallStreams(false) did not resume")
	}
}
