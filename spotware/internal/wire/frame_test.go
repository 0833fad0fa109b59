package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// The exact frames from the facts file (§5 and §2.3).
const (
	appAuthFrame      = "00000012 08b410 1209 120269641a03736563 1a026d31"
	heartbeatFrame    = "00000002 0833"
	heartbeatPyFrame  = "00000004 0833 1200"
	appAuthPayloadHex = "120269641a03736563"
)

func TestAppendMessageExactBytes(t *testing.T) {
	req := &openapi.ProtoOAApplicationAuthReq{ClientId: proto.String("id"), ClientSecret: proto.String("sec")}
	got, err := AppendMessage(nil, req, "m1", proto.MarshalOptions{})
	require.NoError(t, err)
	require.Equal(t, unhex(t, appAuthFrame), got)

	// An empty message still gets its (empty) payload field.
	got, err = AppendMessage(nil, &openapi.ProtoHeartbeatEvent{}, "", proto.MarshalOptions{})
	require.NoError(t, err)
	require.Equal(t, unhex(t, heartbeatPyFrame), got)
}

func TestAppendFrameExactBytes(t *testing.T) {
	require.Equal(t, unhex(t, appAuthFrame), AppendFrame(nil, 2100, unhex(t, appAuthPayloadHex), "m1"))
	require.Equal(t, unhex(t, heartbeatPyFrame), AppendFrame(nil, 51, nil, ""))
}

// TestEnvelopeMatchesGenerated: the hand-written envelope codec writes what
// proto.Marshal writes for openapi.ProtoMessage, and reads it back.
func TestEnvelopeMatchesGenerated(t *testing.T) {
	for _, env := range []*openapi.ProtoMessage{
		{PayloadType: proto.Uint32(2100), Payload: unhex(t, appAuthPayloadHex), ClientMsgId: proto.String("m1")},
		{PayloadType: proto.Uint32(51), Payload: []byte{}}, // set but empty: "12 00"
		{PayloadType: proto.Uint32(2131), Payload: bytes.Repeat([]byte{0x10, 0x01}, 200)},
	} {
		want, err := proto.Marshal(env)
		require.NoError(t, err)
		frame := AppendFrame(nil, env.GetPayloadType(), env.GetPayload(), env.GetClientMsgId())
		require.Equal(t, want, frame[HeaderLen:])
		got, err := ParseEnvelope(want)
		require.NoError(t, err)
		require.Equal(t, env.GetPayloadType(), got.PayloadType)
		require.Equal(t, env.GetPayload(), got.Payload)
		require.Equal(t, env.GetClientMsgId(), got.ClientMsgID)
	}
}

func TestReaderExactBytes(t *testing.T) {
	stream := append(append(unhex(t, appAuthFrame), unhex(t, heartbeatFrame)...), unhex(t, heartbeatPyFrame)...)
	r := NewReader(bytes.NewReader(stream), 0)

	body, err := r.Next()
	require.NoError(t, err)
	env, err := ParseEnvelope(body)
	require.NoError(t, err)
	require.Equal(t, uint32(2100), env.PayloadType)
	require.Equal(t, "m1", env.ClientMsgID)
	var req openapi.ProtoOAApplicationAuthReq
	require.NoError(t, proto.Unmarshal(env.Payload, &req))
	require.Equal(t, "id", req.GetClientId())
	require.Equal(t, "sec", req.GetClientSecret())

	// Heartbeats with and without an empty payload field.
	for range 2 {
		body, err = r.Next()
		require.NoError(t, err)
		env, err = ParseEnvelope(body)
		require.NoError(t, err)
		require.Equal(t, uint32(51), env.PayloadType)
		require.Empty(t, env.Payload)
	}
	_, err = r.Next()
	require.ErrorIs(t, err, io.EOF)
}

func TestReaderRefusesHugePrefix(t *testing.T) {
	r := NewReader(bytes.NewReader(unhex(t, "ffffffff 0833")), 1024)
	_, err := r.Next()
	var fse *FrameSizeError
	require.ErrorAs(t, err, &fse)
	require.ErrorIs(t, err, ErrFrameTooLarge)
	require.Equal(t, uint32(0xffffffff), fse.Size)
	require.Nil(t, r.buf, "nothing allocated for a refused frame")
}

// TestReaderLyingPrefix: a prefix under the limit but larger than what
// follows allocates in steps, not all at once, and ends as ErrTruncated.
func TestReaderLyingPrefix(t *testing.T) {
	r := NewReader(bytes.NewReader(unhex(t, "007fffff 0833")), DefaultMaxFrame)
	_, err := r.Next()
	require.ErrorIs(t, err, ErrTruncated)
	require.LessOrEqual(t, cap(r.buf), growStep)
}

func TestReaderTruncated(t *testing.T) {
	full := unhex(t, appAuthFrame)
	for _, cut := range []int{1, 3, 4, 5, len(full) - 1} {
		r := NewReader(bytes.NewReader(full[:cut]), 0)
		_, err := r.Next()
		require.ErrorIs(t, err, ErrTruncated, "cut at %d", cut)
	}
}

// TestReaderLargeFrame: frames above the kept buffer and the grow step
// come through intact.
func TestReaderLargeFrame(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 3*growStep+17)
	frame := AppendFrame(nil, 2115, payload, "big")
	r := NewReader(io.MultiReader(bytes.NewReader(frame), bytes.NewReader(frame)), 0)
	for range 2 {
		body, err := r.Next()
		require.NoError(t, err)
		env, err := ParseEnvelope(body)
		require.NoError(t, err)
		require.Equal(t, payload, env.Payload)
		require.Equal(t, "big", env.ClientMsgID)
	}
}

func TestParseEnvelopeErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":           {},
		"no payload type": unhex(t, "1a026d31"),
		"bad varint":      unhex(t, "08ff"),
		"short bytes":     unhex(t, "0833 1205 00"),
		"bad tag":         unhex(t, "00"),
		"unknown group":   unhex(t, "0833 0b"),
	} {
		_, err := ParseEnvelope(b)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
	// Unknown fields are skipped.
	env, err := ParseEnvelope(unhex(t, "0833 2001 2a0178"))
	require.NoError(t, err)
	require.Equal(t, uint32(51), env.PayloadType)
}

func TestReaderPassesIOErrors(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(bytes.NewReader([]byte{0, 0}), iotestErr{boom}), 0)
	_, err := r.Next()
	require.ErrorIs(t, err, boom)
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// FuzzReader feeds arbitrary streams to the frame reader and the envelope
// parser: no panic, no frame above the limit, and every envelope that
// parses re-encodes to a frame that parses to the same envelope.
func FuzzReader(f *testing.F) {
	for _, s := range []string{appAuthFrame, heartbeatFrame, heartbeatPyFrame, "ffffffff", "00000003 0833", "00000000"} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 4096
		r := NewReader(bytes.NewReader(data), limit)
		for {
			body, err := r.Next()
			if err != nil {
				return
			}
			if len(body) > limit {
				t.Fatalf("frame of %d bytes passed a %d-byte limit", len(body), limit)
			}
			env, err := ParseEnvelope(body)
			if err != nil {
				continue
			}
			again := AppendFrame(nil, env.PayloadType, env.Payload, env.ClientMsgID)
			env2, err := ParseEnvelope(again[HeaderLen:])
			if err != nil {
				t.Fatalf("re-encoded envelope does not parse: %v", err)
			}
			if env2.PayloadType != env.PayloadType || !bytes.Equal(env2.Payload, env.Payload) || env2.ClientMsgID != env.ClientMsgID {
				t.Fatalf("round trip changed the envelope")
			}
		}
	})
}

// TestAppendMessageErrorKeepsDst: a message that fails to marshal leaves
// the frames already in dst alone.
func TestAppendMessageErrorKeepsDst(t *testing.T) {
	first, err := AppendMessage(nil, &openapi.ProtoHeartbeatEvent{}, "", proto.MarshalOptions{})
	require.NoError(t, err)
	got, err := AppendMessage(bytes.Clone(first), &openapi.ProtoOAApplicationAuthReq{ClientId: proto.String("id")}, "m1", proto.MarshalOptions{})
	require.Error(t, err, "clientSecret is required")
	require.Equal(t, first, got)
}
