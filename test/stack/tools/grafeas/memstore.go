package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/grafeas/grafeas/go/name"
	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"google.golang.org/genproto/protobuf/field_mask"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// MemStore is Grafeas' v1 Storage in memory. Names are as Grafeas formats
// them (projects/<p>/notes/<n>, projects/<p>/occurrences/<random id>).
// Filters: empty, or what Tekton Chains and container analysis clients send
// to find a resource's occurrences, resourceUrl="<uri>" terms joined by OR;
// anything else is refused (InvalidArgument) rather than ignored.
type MemStore struct {
	mu          sync.RWMutex
	notes       map[string]*gpb.Note       // by name
	occurrences map[string]*gpb.Occurrence // by name
}

// NewMemStore makes an empty store.
func NewMemStore() *MemStore {
	return &MemStore{notes: map[string]*gpb.Note{}, occurrences: map[string]*gpb.Occurrence{}}
}

func clone[M proto.Message](m M) M { return proto.Clone(m).(M) }

func newID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", status.Errorf(codes.Internal, "making an id: %v", err)
	}
	return hex.EncodeToString(b), nil
}

// filter parses resourceUrl="a" OR resourceUrl="b" into the set of URIs
// (nil: no filter).
func filter(f string) (map[string]bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return nil, nil
	}
	uris := map[string]bool{}
	for _, term := range strings.Split(f, " OR ") {
		k, v, ok := strings.Cut(strings.TrimSpace(term), "=")
		if !ok || strings.TrimSpace(k) != "resourceUrl" {
			return nil, status.Errorf(codes.InvalidArgument, "filter %q: only resourceUrl=\"<uri>\" terms joined by OR are supported", f)
		}
		u, err := strconv.Unquote(strings.TrimSpace(v))
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter %q: %s is not a quoted string", f, v)
		}
		uris[u] = true
	}
	return uris, nil
}

// page returns the page of sorted items from pageToken (an offset).
func page[T any](items []T, pageToken string, pageSize int32) ([]T, string, error) {
	start := 0
	if pageToken != "" {
		n, err := strconv.Atoi(pageToken)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", status.Errorf(codes.InvalidArgument, "bad page token %q", pageToken)
		}
		start = n
	}
	end := min(start+int(pageSize), len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

func (m *MemStore) listOccurrences(keep func(*gpb.Occurrence) bool, f, pageToken string, pageSize int32) ([]*gpb.Occurrence, string, error) {
	uris, err := filter(f)
	if err != nil {
		return nil, "", err
	}
	m.mu.RLock()
	var out []*gpb.Occurrence
	for _, o := range m.occurrences {
		if keep(o) && (uris == nil || uris[o.ResourceUri]) {
			out = append(out, clone(o))
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return page(out, pageToken, pageSize)
}

func (m *MemStore) GetOccurrence(_ context.Context, pID, oID string) (*gpb.Occurrence, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	o, ok := m.occurrences[name.FormatOccurrence(pID, oID)]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "occurrence %q not found", name.FormatOccurrence(pID, oID))
	}
	return clone(o), nil
}

func (m *MemStore) ListOccurrences(_ context.Context, pID, f, pageToken string, pageSize int32) ([]*gpb.Occurrence, string, error) {
	prefix := name.FormatProject(pID) + "/"
	return m.listOccurrences(func(o *gpb.Occurrence) bool { return strings.HasPrefix(o.Name, prefix) }, f, pageToken, pageSize)
}

func (m *MemStore) CreateOccurrence(_ context.Context, pID, _ string, o *gpb.Occurrence) (*gpb.Occurrence, error) {
	id, err := newID()
	if err != nil {
		return nil, err
	}
	o = clone(o)
	o.Name = name.FormatOccurrence(pID, id)
	o.CreateTime = timestamppb.Now()
	o.UpdateTime = o.CreateTime
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.notes[o.NoteName]; !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "note %q does not exist", o.NoteName)
	}
	m.occurrences[o.Name] = o
	return clone(o), nil
}

func (m *MemStore) BatchCreateOccurrences(ctx context.Context, pID, uID string, occs []*gpb.Occurrence) ([]*gpb.Occurrence, []error) {
	var out []*gpb.Occurrence
	var errs []error
	for _, o := range occs {
		c, err := m.CreateOccurrence(ctx, pID, uID, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errs
}

// update sets dst's fields named by mask (every field when the mask is
// empty) from src, except name and create_time.
func update(dst, src proto.Message, mask *field_mask.FieldMask) error {
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	fields := d.Descriptor().Fields()
	set := func(fd protoreflect.FieldDescriptor) {
		if s.Has(fd) {
			d.Set(fd, s.Get(fd))
		} else {
			d.Clear(fd)
		}
	}
	if len(mask.GetPaths()) == 0 {
		for i := range fields.Len() {
			if fd := fields.Get(i); fd.Name() != "name" && fd.Name() != "create_time" {
				set(fd)
			}
		}
		return nil
	}
	for _, p := range mask.GetPaths() {
		fd := fields.ByName(protoreflect.Name(p))
		if fd == nil || p == "name" || p == "create_time" {
			return status.Errorf(codes.InvalidArgument, "update mask path %q: not a field that can be updated", p)
		}
		set(fd)
	}
	return nil
}

func (m *MemStore) UpdateOccurrence(_ context.Context, pID, oID string, o *gpb.Occurrence, mask *field_mask.FieldMask) (*gpb.Occurrence, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := name.FormatOccurrence(pID, oID)
	old, ok := m.occurrences[n]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "occurrence %q not found", n)
	}
	upd := clone(old)
	if err := update(upd, o, mask); err != nil {
		return nil, err
	}
	if _, ok := m.notes[upd.NoteName]; !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "note %q does not exist", upd.NoteName)
	}
	upd.UpdateTime = timestamppb.Now()
	m.occurrences[n] = upd
	return clone(upd), nil
}

func (m *MemStore) DeleteOccurrence(_ context.Context, pID, oID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := name.FormatOccurrence(pID, oID)
	if _, ok := m.occurrences[n]; !ok {
		return status.Errorf(codes.NotFound, "occurrence %q not found", n)
	}
	delete(m.occurrences, n)
	return nil
}

func (m *MemStore) GetNote(_ context.Context, pID, nID string) (*gpb.Note, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, ok := m.notes[name.FormatNote(pID, nID)]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "note %q not found", name.FormatNote(pID, nID))
	}
	return clone(n), nil
}

func (m *MemStore) ListNotes(_ context.Context, pID, f, pageToken string, pageSize int32) ([]*gpb.Note, string, error) {
	if strings.TrimSpace(f) != "" {
		return nil, "", status.Errorf(codes.InvalidArgument, "filter %q: notes are listed without a filter here", f)
	}
	prefix := name.FormatProject(pID) + "/"
	m.mu.RLock()
	var out []*gpb.Note
	for n, note := range m.notes {
		if strings.HasPrefix(n, prefix) {
			out = append(out, clone(note))
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return page(out, pageToken, pageSize)
}

func (m *MemStore) CreateNote(_ context.Context, pID, nID, _ string, n *gpb.Note) (*gpb.Note, error) {
	n = clone(n)
	n.Name = name.FormatNote(pID, nID)
	n.CreateTime = timestamppb.Now()
	n.UpdateTime = n.CreateTime
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.notes[n.Name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "note %q already exists", n.Name)
	}
	m.notes[n.Name] = n
	return clone(n), nil
}

func (m *MemStore) BatchCreateNotes(ctx context.Context, pID, uID string, notes map[string]*gpb.Note) ([]*gpb.Note, []error) {
	var out []*gpb.Note
	var errs []error
	for id, n := range notes {
		c, err := m.CreateNote(ctx, pID, id, uID, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errs
}

func (m *MemStore) UpdateNote(_ context.Context, pID, nID string, n *gpb.Note, mask *field_mask.FieldMask) (*gpb.Note, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	nm := name.FormatNote(pID, nID)
	old, ok := m.notes[nm]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "note %q not found", nm)
	}
	upd := clone(old)
	if err := update(upd, n, mask); err != nil {
		return nil, err
	}
	upd.UpdateTime = timestamppb.Now()
	m.notes[nm] = upd
	return clone(upd), nil
}

func (m *MemStore) DeleteNote(_ context.Context, pID, nID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := name.FormatNote(pID, nID)
	if _, ok := m.notes[n]; !ok {
		return status.Errorf(codes.NotFound, "note %q not found", n)
	}
	delete(m.notes, n)
	return nil
}

func (m *MemStore) GetOccurrenceNote(ctx context.Context, pID, oID string) (*gpb.Note, error) {
	o, err := m.GetOccurrence(ctx, pID, oID)
	if err != nil {
		return nil, err
	}
	np, nID, err := name.ParseNote(o.NoteName)
	if err != nil {
		return nil, err
	}
	return m.GetNote(ctx, np, nID)
}

func (m *MemStore) ListNoteOccurrences(ctx context.Context, pID, nID, f, pageToken string, pageSize int32) ([]*gpb.Occurrence, string, error) {
	if _, err := m.GetNote(ctx, pID, nID); err != nil {
		return nil, "", err
	}
	n := name.FormatNote(pID, nID)
	return m.listOccurrences(func(o *gpb.Occurrence) bool { return o.NoteName == n }, f, pageToken, pageSize)
}
