package wire_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/brokerkit/brokerkit/spotware/internal/wire"
)

// The package doc's code: one frame written and read back.
func Example() {
	conn := new(bytes.Buffer) // stands in for the TLS connection
	payload := []byte{0x08, 0x01}

	conn.Write(wire.AppendFrame(nil, 2100, payload, "m1")) // payload type, payload, clientMsgId

	r := wire.NewReader(conn, wire.DefaultMaxFrame)
	body, err := r.Next() // one frame, valid until the next call
	if err != nil {
		log.Fatal(err)
	}
	env, err := wire.ParseEnvelope(body)
	fmt.Println(env.PayloadType, env.Payload, env.ClientMsgID, err)
	// Output:
	// 2100 [8 1] m1 <nil>
}
