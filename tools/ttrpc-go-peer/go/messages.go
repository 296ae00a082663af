package main

// Messages of the interop test service. The TypeScript side defines the same
// messages in a .proto file:
//
//	package interop;   // service "interop.Echo", one method "Echo"
//	message KeyValue    { string key = 1; string value = 2; }
//	message EchoRequest { bytes payload = 1; int64 sleep_ms = 2; int32 fail_code = 3;
//	                      string fail_message = 4; int64 response_size = 5; }
//	message EchoResponse { bytes payload = 1; repeated KeyValue metadata = 2; int64 timeout_nano = 3; }
//
// ttrpc 1.1.1 marshals with gogo/protobuf, which handles plain structs through
// reflection on the `protobuf:"..."` struct tags, so no generated code is
// needed. The field numbers here must stay identical to the .proto above.

import "fmt"

const (
	echoService = "interop.Echo"
	echoMethod  = "Echo"
)

// KeyValue is interop.KeyValue.
type KeyValue struct {
	Key   string `protobuf:"bytes,1,opt,name=key,proto3" json:"key"`
	Value string `protobuf:"bytes,2,opt,name=value,proto3" json:"value"`
}

func (m *KeyValue) Reset()         { *m = KeyValue{} }
func (m *KeyValue) String() string { return fmt.Sprintf("%+v", *m) }
func (*KeyValue) ProtoMessage()    {}

// EchoRequest is interop.EchoRequest.
type EchoRequest struct {
	Payload      []byte `protobuf:"bytes,1,opt,name=payload,proto3"`
	SleepMs      int64  `protobuf:"varint,2,opt,name=sleep_ms,json=sleepMs,proto3"`
	FailCode     int32  `protobuf:"varint,3,opt,name=fail_code,json=failCode,proto3"`
	FailMessage  string `protobuf:"bytes,4,opt,name=fail_message,json=failMessage,proto3"`
	ResponseSize int64  `protobuf:"varint,5,opt,name=response_size,json=responseSize,proto3"`
}

func (m *EchoRequest) Reset() { *m = EchoRequest{} }
func (m *EchoRequest) String() string {
	return fmt.Sprintf("EchoRequest{payload: %d bytes, sleep_ms: %d, fail_code: %d, fail_message: %q, response_size: %d}",
		len(m.Payload), m.SleepMs, m.FailCode, m.FailMessage, m.ResponseSize)
}
func (*EchoRequest) ProtoMessage() {}

// EchoResponse is interop.EchoResponse.
type EchoResponse struct {
	Payload     []byte      `protobuf:"bytes,1,opt,name=payload,proto3"`
	Metadata    []*KeyValue `protobuf:"bytes,2,rep,name=metadata,proto3"`
	TimeoutNano int64       `protobuf:"varint,3,opt,name=timeout_nano,json=timeoutNano,proto3"`
}

func (m *EchoResponse) Reset() { *m = EchoResponse{} }
func (m *EchoResponse) String() string {
	return fmt.Sprintf("EchoResponse{payload: %d bytes, metadata: %d entries, timeout_nano: %d}",
		len(m.Payload), len(m.Metadata), m.TimeoutNano)
}
func (*EchoResponse) ProtoMessage() {}

// patternPayload returns n bytes where byte i is i % 251 (the response_size pattern).
func patternPayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// isPattern reports whether b is exactly patternPayload(len(b)).
func isPattern(b []byte) bool {
	for i, v := range b {
		if v != byte(i%251) {
			return false
		}
	}
	return true
}
