// Package wire is the cTrader Open API framing shared by the spotware
// client and its emulator: a TCP frame is a 4-byte big-endian length and a
// serialized ProtoMessage envelope {payloadType, payload, clientMsgId}.
//
//	conn.Write(wire.AppendFrame(nil, 2100, payload, "m1")) // payload type, payload, clientMsgId
//
//	r := wire.NewReader(conn, wire.DefaultMaxFrame)
//	body, err := r.Next() // one frame, valid until the next call
//	if err != nil {
//		log.Fatal(err)
//	}
//	env, err := wire.ParseEnvelope(body)
//	fmt.Println(env.PayloadType, env.Payload, env.ClientMsgID, err)
//
// The envelope is read and written with protowire directly, so that a
// payload is handed on as a slice of the frame without a copy; the bytes
// are those proto.Marshal writes for openapi.ProtoMessage.
package wire
