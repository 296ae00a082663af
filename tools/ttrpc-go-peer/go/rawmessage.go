package main

import "encoding/hex"

// rawMessage is a message that ttrpc's codec does not decode: it sends the
// bytes it holds as the request payload unchanged and keeps the bytes of a
// response payload unchanged.
//
// ttrpc 1.1.1's codec calls gogo/protobuf's proto.Marshal / proto.Unmarshal.
// proto.Marshal uses a type's `Marshal() ([]byte, error)` method when the
// type has no XXX_Size/XXX_Marshal pair, and proto.Unmarshal calls Reset()
// and then `Unmarshal([]byte) error` when there is no XXX_Unmarshal, so these
// two methods replace the reflection-based encoding completely.
type rawMessage struct {
	b []byte
}

func (m *rawMessage) Reset()         { m.b = nil }
func (m *rawMessage) String() string { return hex.EncodeToString(m.b) }
func (*rawMessage) ProtoMessage()    {}

// Marshal returns the bytes as they are. An empty payload makes the client
// leave Request field 3 out, as kata does for an empty CheckRequest.
func (m *rawMessage) Marshal() ([]byte, error) { return m.b, nil }

// Unmarshal keeps a copy: the slice belongs to the decoded Response envelope.
func (m *rawMessage) Unmarshal(b []byte) error {
	m.b = append([]byte(nil), b...)
	return nil
}
