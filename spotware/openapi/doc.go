// Package openapi holds the Go types of the cTrader Open API 2.0 messages
// that brokerkit speaks: a proto2 subset written by the project from the
// published wire facts (payload types and field numbers as in Spotware's
// schema) and generated with protoc-gen-go. Most programs use the typed
// calls of package spotware instead; these types serve callers that need a
// message brokerkit does not wrap, through spotware.Session.Do:
//
//	req := &openapi.ProtoOATraderReq{CtidTraderAccountId: proto.Int64(acct)}
//	res := &openapi.ProtoOATraderRes{}
//	err := session.Do(ctx, req, res)
//
// Fields the subset does not declare, and fields the server adds before the
// schema does, are kept as unknown fields when a message is decoded.
//
// The generated code is committed; `go generate` rebuilds it with protoc and
// protoc-gen-go v1.36.12, and a test fails when it no longer matches
// openapi.proto.
package openapi
