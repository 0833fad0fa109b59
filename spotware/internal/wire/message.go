package wire

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// PayloadType returns the payload type a message declares as the default of
// its field 1 (payloadType), as every cTrader message does.
func PayloadType(m proto.Message) (uint32, bool) {
	f := m.ProtoReflect().Descriptor().Fields().ByNumber(1)
	if f == nil || f.Kind() != protoreflect.EnumKind || !f.HasDefault() {
		return 0, false
	}
	return uint32(f.Default().Enum()), true
}

// AppendMessage appends a frame carrying m to dst, marshalling m in place
// behind the envelope header. opts decides whether required fields are
// checked (they are unless opts.AllowPartial). On error dst comes back as
// it was given, so frames already in it survive.
func AppendMessage(dst []byte, m proto.Message, clientMsgID string, opts proto.MarshalOptions) ([]byte, error) {
	orig := len(dst)
	pt, ok := PayloadType(m)
	if !ok {
		return dst, fmt.Errorf("%s has no payloadType default", m.ProtoReflect().Descriptor().FullName())
	}
	size := opts.Size(m)
	dst = binary.BigEndian.AppendUint32(dst, uint32(EnvelopeSize(pt, size, clientMsgID)))
	dst = protowire.AppendTag(dst, 1, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(pt))
	// The payload field goes out even for an empty message (see AppendFrame).
	dst = protowire.AppendTag(dst, 2, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(size))
	if size > 0 {
		start := len(dst)
		opts.UseCachedSize = true
		var err error
		dst, err = opts.MarshalAppend(dst, m)
		if err != nil {
			return dst[:orig], err
		}
		if len(dst)-start != size {
			return dst[:orig], fmt.Errorf("%s changed size while being marshalled", m.ProtoReflect().Descriptor().FullName())
		}
	}
	if clientMsgID != "" {
		dst = protowire.AppendTag(dst, 3, protowire.BytesType)
		dst = protowire.AppendString(dst, clientMsgID)
	}
	return dst, nil
}
