package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// DefaultMaxFrame is the largest frame a Reader accepts unless told
// otherwise. Spotware's own Python client stops at 15,000,000 bytes; the
// largest answers brokerkit asks for (a broker's whole symbol list) are far
// below 8 MiB.
const DefaultMaxFrame = 8 << 20

// HeaderLen is the size of the length prefix.
const HeaderLen = 4

// growStep bounds how much a Reader allocates ahead of the bytes that have
// actually arrived, so a lying length prefix costs no more memory than the
// peer really sends.
const growStep = 64 << 10

// keepBuf is the largest buffer a Reader keeps between frames.
const keepBuf = 1 << 20

// ErrFrameTooLarge matches every *FrameSizeError.
var ErrFrameTooLarge = errors.New("frame larger than the limit")

// ErrTruncated means the stream ended inside a frame.
var ErrTruncated = errors.New("frame cut short")

// ErrMalformed means a frame's envelope is not a valid ProtoMessage.
var ErrMalformed = errors.New("malformed frame")

// FrameSizeError reports a length prefix above the limit. The frame is not
// read: the stream cannot be resynchronised after it.
type FrameSizeError struct {
	// Size is the announced length; Max the limit in force.
	Size, Max uint32
}

// Error says how large the frame was and the limit.
func (e *FrameSizeError) Error() string {
	return fmt.Sprintf("frame of %d bytes is larger than the %d-byte limit", e.Size, e.Max)
}

// Is reports whether target is ErrFrameTooLarge.
func (e *FrameSizeError) Is(target error) bool { return target == ErrFrameTooLarge }

// Reader reads length-prefixed frames from a stream.
type Reader struct {
	r   io.Reader
	max uint32
	hdr [HeaderLen]byte
	buf []byte
}

// NewReader reads frames from r, refusing any longer than max bytes (max <=
// 0 means DefaultMaxFrame).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 || max > 1<<31 {
		max = DefaultMaxFrame
	}
	return &Reader{r: r, max: uint32(max)}
}

// Next returns the body of the next frame (the envelope without its length
// prefix). The slice is valid until the next call. At a clean end of stream
// it returns io.EOF; inside a frame, an error matching ErrTruncated.
func (r *Reader) Next() ([]byte, error) {
	if n, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, n, HeaderLen)
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(r.hdr[:])
	if n > r.max {
		return nil, &FrameSizeError{Size: n, Max: r.max}
	}
	size := int(n)
	var b []byte
	if size <= cap(r.buf) {
		b = r.buf[:size]
		if got, err := io.ReadFull(r.r, b); err != nil {
			return nil, truncated(err, got, size)
		}
	} else {
		b = r.buf[:0]
		for len(b) < size {
			step := min(size-len(b), max(len(b), growStep))
			b = slices.Grow(b, step)
			got, err := io.ReadFull(r.r, b[len(b):len(b)+step])
			b = b[:len(b)+got]
			if err != nil {
				return nil, truncated(err, len(b), size)
			}
		}
		if cap(b) <= keepBuf {
			r.buf = b
		}
	}
	return b, nil
}

func truncated(err error, got, size int) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: %d of %d bytes", ErrTruncated, got, size)
	}
	return err
}

// Envelope is a decoded ProtoMessage. Payload aliases the frame it was
// parsed from.
type Envelope struct {
	// PayloadType says which message Payload holds.
	PayloadType uint32
	// Payload is the serialized inner message.
	Payload []byte
	// ClientMsgID is the request's id, echoed in its answer; empty in
	// server events.
	ClientMsgID string
}

// ParseEnvelope decodes a frame body. Unknown envelope fields are skipped;
// a missing payloadType (a required field) is an error.
func ParseEnvelope(b []byte) (Envelope, error) {
	var e Envelope
	seenType := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Envelope{}, malformed(protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return Envelope{}, malformed(protowire.ParseError(n))
			}
			e.PayloadType, seenType = uint32(v), true
			b = b[n:]
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return Envelope{}, malformed(protowire.ParseError(n))
			}
			e.Payload = v
			b = b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return Envelope{}, malformed(protowire.ParseError(n))
			}
			e.ClientMsgID = string(v)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return Envelope{}, malformed(protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	if !seenType {
		return Envelope{}, fmt.Errorf("%w: no payloadType", ErrMalformed)
	}
	return e, nil
}

func malformed(err error) error { return fmt.Errorf("%w: %v", ErrMalformed, err) }

// EnvelopeSize is the encoded size of an envelope, without the prefix.
func EnvelopeSize(payloadType uint32, payloadLen int, clientMsgID string) int {
	n := 1 + protowire.SizeVarint(uint64(payloadType)) + 1 + protowire.SizeBytes(payloadLen)
	if clientMsgID != "" {
		n += 1 + protowire.SizeBytes(len(clientMsgID))
	}
	return n
}

// AppendFrame appends a whole frame (length prefix and envelope) to dst.
// The payload field is always written, empty or not ("12 00" for an empty
// inner message), as Spotware's servers and SDKs write it: some clients
// read it unconditionally. An empty clientMsgID is left out.
func AppendFrame(dst []byte, payloadType uint32, payload []byte, clientMsgID string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(EnvelopeSize(payloadType, len(payload), clientMsgID)))
	dst = protowire.AppendTag(dst, 1, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(payloadType))
	dst = protowire.AppendTag(dst, 2, protowire.BytesType)
	dst = protowire.AppendBytes(dst, payload)
	if clientMsgID != "" {
		dst = protowire.AppendTag(dst, 3, protowire.BytesType)
		dst = protowire.AppendString(dst, clientMsgID)
	}
	return dst
}
