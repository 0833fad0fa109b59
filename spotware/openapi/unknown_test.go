package openapi

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// TestUnknownFieldsSurvive: the server sends fields the published schema
// lacks (ProtoOASymbol field 41, gslScheduleId); decoding and encoding again
// must keep them byte for byte.
func TestUnknownFieldsSurvive(t *testing.T) {
	b, err := proto.Marshal(&ProtoOASymbol{SymbolId: proto.Int64(1), Digits: proto.Int32(5), PipPosition: proto.Int32(4)})
	require.NoError(t, err)
	b = protowire.AppendTag(b, 41, protowire.VarintType)
	b = protowire.AppendVarint(b, 7)
	b = protowire.AppendTag(b, 40, protowire.BytesType)
	b = protowire.AppendString(b, "lots")

	var s ProtoOASymbol
	require.NoError(t, proto.Unmarshal(b, &s))
	require.Equal(t, int32(5), s.GetDigits())
	require.NotEmpty(t, s.ProtoReflect().GetUnknown())

	again, err := proto.Marshal(&s)
	require.NoError(t, err)
	require.Equal(t, b, again)
}

// TestRequiredFieldsEnforced documents that proto2 required fields are
// checked unless AllowPartial is set.
func TestRequiredFieldsEnforced(t *testing.T) {
	_, err := proto.Marshal(&ProtoOAApplicationAuthReq{ClientId: proto.String("id")})
	require.Error(t, err)
	_, err = proto.MarshalOptions{AllowPartial: true}.Marshal(&ProtoOAApplicationAuthReq{ClientId: proto.String("id")})
	require.NoError(t, err)
}
