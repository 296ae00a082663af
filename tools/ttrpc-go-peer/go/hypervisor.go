package main

// Messages of the remote hypervisor service (kata's
// src/runtime/protocols/hypervisor/hypervisor.proto, package "hypervisor"),
// as the kata shim sends them to cloud-api-adaptor.

import (
	"fmt"
	"sort"
)

const hypervisorService = "hypervisor.Hypervisor"

// kataAnnotations are the keys the Go shim always puts in CreateVMRequest.annotations
// (remote.go), each "" when it has no value.
var kataAnnotations = []string{
	"io.kubernetes.cri.sandbox-name",
	"io.kubernetes.cri.sandbox-namespace",
	"io.katacontainers.config.hypervisor.machine_type",
	"io.katacontainers.config.hypervisor.image",
	"io.katacontainers.config.hypervisor.default_vcpus",
	"io.katacontainers.config.hypervisor.default_memory",
	"io.katacontainers.config.hypervisor.cc_init_data",
	"io.katacontainers.config.hypervisor.default_gpus",
	"io.katacontainers.config.hypervisor.default_gpu_model",
}

// CreateVMRequest is hypervisor.CreateVMRequest. It encodes itself (see Marshal).
type CreateVMRequest struct {
	Id                   string            `protobuf:"bytes,1,opt,name=id,proto3"`
	Annotations          map[string]string `protobuf:"bytes,2,rep,name=annotations,proto3" protobuf_key:"bytes,1,opt,name=key,proto3" protobuf_val:"bytes,2,opt,name=value,proto3"`
	NetworkNamespacePath string            `protobuf:"bytes,3,opt,name=networkNamespacePath,proto3"`
}

func (m *CreateVMRequest) Reset()         { *m = CreateVMRequest{} }
func (m *CreateVMRequest) String() string { return fmt.Sprintf("%+v", *m) }
func (*CreateVMRequest) ProtoMessage()    {}

// Marshal encodes like the shim's google.golang.org/protobuf: fields in number
// order, singular strings left out when empty, and every map entry written with
// both its key and its value field, even an empty value ("12 00"). Entries are
// sorted by key; protobuf-go and gogo (as ttrpc calls it) use Go's random map
// order, of which the sorted order is one instance, and it keeps runs comparable.
func (m *CreateVMRequest) Marshal() ([]byte, error) {
	var b []byte
	b = appendStringField(b, 1, m.Id, false)
	keys := make([]string, 0, len(m.Annotations))
	for k := range m.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var entry []byte
		entry = appendStringField(entry, 1, k, true)
		entry = appendStringField(entry, 2, m.Annotations[k], true)
		b = appendBytesField(b, 2, entry)
	}
	b = appendStringField(b, 3, m.NetworkNamespacePath, false)
	return b, nil
}

// CreateVMResponse is hypervisor.CreateVMResponse.
type CreateVMResponse struct {
	AgentSocketPath string `protobuf:"bytes,1,opt,name=agentSocketPath,proto3"`
}

func (m *CreateVMResponse) Reset()         { *m = CreateVMResponse{} }
func (m *CreateVMResponse) String() string { return fmt.Sprintf("%+v", *m) }
func (*CreateVMResponse) ProtoMessage()    {}

// VMIDRequest is hypervisor.StartVMRequest and hypervisor.StopVMRequest (both {id = 1}).
type VMIDRequest struct {
	Id string `protobuf:"bytes,1,opt,name=id,proto3"`
}

func (m *VMIDRequest) Reset()         { *m = VMIDRequest{} }
func (m *VMIDRequest) String() string { return fmt.Sprintf("%+v", *m) }
func (*VMIDRequest) ProtoMessage()    {}

// EmptyResponse is hypervisor.StartVMResponse and hypervisor.StopVMResponse (no fields).
// Unknown fields in an answer are skipped, as the generated code would.
type EmptyResponse struct{}

func (m *EmptyResponse) Reset()       { *m = EmptyResponse{} }
func (*EmptyResponse) String() string { return "{}" }
func (*EmptyResponse) ProtoMessage()  {}

// VersionMessage is hypervisor.VersionRequest and hypervisor.VersionResponse (both {version = 1}).
type VersionMessage struct {
	Version string `protobuf:"bytes,1,opt,name=version,proto3"`
}

func (m *VersionMessage) Reset()         { *m = VersionMessage{} }
func (m *VersionMessage) String() string { return fmt.Sprintf("%+v", *m) }
func (*VersionMessage) ProtoMessage()    {}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendBytesField appends a LEN field (wire type 2).
func appendBytesField(b []byte, field int, v []byte) []byte {
	b = appendVarint(b, uint64(field)<<3|2)
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// appendStringField appends a string field; an empty one only when always is set.
func appendStringField(b []byte, field int, s string, always bool) []byte {
	if s == "" && !always {
		return b
	}
	return appendBytesField(b, field, []byte(s))
}
