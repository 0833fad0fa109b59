package openapi

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

const protoPath = "spotware/openapi/openapi.proto"

// compileProto compiles openapi.proto with a pure-Go compiler, so that the
// check needs no protoc.
func compileProto(t *testing.T, source string) *descriptorpb.FileDescriptorProto {
	t.Helper()
	c := protocompile.Compiler{Resolver: &protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{protoPath: source}),
	}}
	files, err := c.Compile(context.Background(), protoPath)
	require.NoError(t, err)
	return normalize(protodesc.ToFileDescriptorProto(files[0]))
}

// normalize drops what differs between compilers but not on the wire:
// source locations and the json_name each compiler may or may not fill in.
func normalize(fd *descriptorpb.FileDescriptorProto) *descriptorpb.FileDescriptorProto {
	fd = proto.Clone(fd).(*descriptorpb.FileDescriptorProto)
	fd.SourceCodeInfo = nil
	var walk func(msgs []*descriptorpb.DescriptorProto)
	walk = func(msgs []*descriptorpb.DescriptorProto) {
		for _, m := range msgs {
			for _, f := range m.Field {
				f.JsonName = nil
			}
			walk(m.NestedType)
		}
	}
	walk(fd.MessageType)
	return fd
}

func embedded() *descriptorpb.FileDescriptorProto {
	return normalize(protodesc.ToFileDescriptorProto(File_spotware_openapi_openapi_proto))
}

// TestGeneratedCodeIsCurrent fails when openapi.proto was edited without
// running go generate: the descriptor compiled into openapi.pb.go must equal
// the one compiled from the .proto file now.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	src, err := os.ReadFile("openapi.proto")
	require.NoError(t, err)
	want := compileProto(t, string(src))
	got := embedded()
	if !proto.Equal(want, got) {
		t.Fatalf("openapi.pb.go is stale: run `go generate ./spotware/openapi`\n"+
			"compiled from openapi.proto: %d messages, %d enums; embedded: %d messages, %d enums",
			len(want.MessageType), len(want.EnumType), len(got.MessageType), len(got.EnumType))
	}
}

// TestStaleCheckDetectsEdits proves the check above can fail: a one-field
// edit to the source gives a different descriptor.
func TestStaleCheckDetectsEdits(t *testing.T) {
	src, err := os.ReadFile("openapi.proto")
	require.NoError(t, err)
	for name, edit := range map[string][2]string{
		"field number": {"optional uint64 bid = 4;", "optional uint64 bid = 9;"},
		"field type":   {"optional uint64 ask = 5;", "optional int64 ask = 5;"},
		"enum value":   {"PROTO_OA_SPOT_EVENT = 2131;", "PROTO_OA_SPOT_EVENT = 2139;"},
		"new field":    {"optional int64 timestamp = 8;", "optional int64 timestamp = 8;\n  optional int64 extra = 9;"},
	} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, string(src), edit[0])
			edited := compileProto(t, strings.Replace(string(src), edit[0], edit[1], 1))
			require.False(t, proto.Equal(edited, embedded()), "edit not detected")
		})
	}
}

// TestGeneratedHeader pins the generator version the brief asks for.
func TestGeneratedHeader(t *testing.T) {
	b, err := os.ReadFile("openapi.pb.go")
	require.NoError(t, err)
	require.Contains(t, string(b), "protoc-gen-go v1.36.12")
	require.Contains(t, string(b), "source: "+protoPath)
}

// TestPayloadTypeDefaults checks that every request and response message
// knows its own payload type, which Session.Do relies on.
func TestPayloadTypeDefaults(t *testing.T) {
	msgs := File_spotware_openapi_openapi_proto.Messages()
	n := 0
	for i := range msgs.Len() {
		md := msgs.Get(i)
		f := md.Fields().ByNumber(1)
		if f == nil || f.Name() != "payloadType" || md.Name() == "ProtoMessage" {
			continue
		}
		n++
		require.Equal(t, protoreflect.EnumKind, f.Kind(), md.FullName())
		require.True(t, f.HasDefault(), md.FullName())
		ev := f.DefaultEnumValue()
		require.NotNil(t, ev, md.FullName())
		require.NotZero(t, ev.Number(), md.FullName())
	}
	require.Greater(t, n, 30)
}
