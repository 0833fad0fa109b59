package openapi

//go:generate protoc -I ../.. --go_out=../.. --go_opt=module=github.com/brokerkit/brokerkit spotware/openapi/openapi.proto
